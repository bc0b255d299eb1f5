import { readFileSync } from 'node:fs';
import { STYLE_CSS } from './styles.js';

/** The client script sits beside this module (tsc copies it to dist/ui/assets with allowJs). */
export function uiAssets(): { 'app.js': string; 'style.css': string } {
  return { 'app.js': readFileSync(new URL('./assets/app.js', import.meta.url), 'utf8'), 'style.css': STYLE_CSS };
}
