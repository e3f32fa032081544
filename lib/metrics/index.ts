/**
 * rxgears' Prometheus metrics (prom-client): `metricsOf(gears).registry` holds them.
 *
 * @example
 * import { metricsOf } from 'rxgears/metrics';
 * const gears = await connect({ metrics: true });
 * console.log(await metricsOf(gears).registry.metrics());
 */
export { metricsOf, GearsMetrics, DEFAULT_METRICS_OPTIONS, type MetricsOptions } from './GearsMetrics.ts';
