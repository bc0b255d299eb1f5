// The router's runtime: the aggregation groups' timers on the wall clock, driving the notify pipeline the composition root builds.
export { Router, type RoutingConfig, type NotifyPipeline, type RouterStore, type RouterObserver, type RouterOptions, type AlertStatus, type AlertLimits, type ReceiveResult } from './router.js';
