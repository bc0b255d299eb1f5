import { RE2JS, RE2JSSyntaxException } from 're2js';
for (const p of ['(', 'a**', '*a', '\\k', '[z-a]', '(?=a)', 'x{2,1}', 'a{1001}', '(?P<n', '(?P<a-b>x)', 'a)', '[a', '\\', '\\pX', '[[:foo:]]', 'a{2}{3}', 'a*?*', '\\1', '\\8', '\\Z', '(*)', 'a|*', '(?i', '(?z)', '(?-)a', '(?i-)a', '(?P<>a)', '(?<!a)b', '(?P<n>a)(?P=n)', '\\y','(?)a','^*a','\\A*a','(?P<n>a)|(?P<n>b)']) {
  try { RE2JS.compile(p); console.log('OK', p); } catch (e) { console.log(p, '=>', e.constructor.name, JSON.stringify(e.message), e.error, e.input); }
}
const r = RE2JS.compile('^(?s:(a+)+b)$');
let t=Date.now(); console.log(r.test('a'.repeat(100000)+'c'), Date.now()-t);
const k = RE2JS.compile('(?i)k'); console.log(k.test('\u212a'), RE2JS.compile('😀.').testExact('😀😀'), RE2JS.compile('😀.').testExact('😀'));
const m = RE2JS.compile('a*').matcher('baaac'); let pos=0; while (pos<=5 && m.find(pos)) { console.log(m.start(), m.end(), m.group()); pos = m.end() > pos ? m.end() : pos+1; }
const e = RE2JS.compile('(.)');const mm = e.matcher('x😀y'); let p2=0; while (mm.find(p2)) { console.log('astral', mm.start(), mm.end(), mm.group(1)); p2 = mm.end(); }
console.log(RE2JS.compile('a|ab').testExact('ab'), RE2JS.compile('(?m)a$').testExact('a'), RE2JS.compile('^b').matcher('ab').find(1));
