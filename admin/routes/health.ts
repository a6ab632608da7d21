import type { FastifyInstance } from 'fastify';
import type { HealthReport, Metrics } from '../../core';

export interface HealthRoutesDeps {
  health(): Promise<HealthReport>;
  metrics: Metrics;
}

/** /healthz: 200 when every role and dependency is ok, 503 with the report otherwise. */
export async function healthRoutes(app: FastifyInstance, deps: HealthRoutesDeps): Promise<void> {
  app.get('/healthz', { schema: { summary: 'Health of each role and dependency', tags: ['ops'] } }, async (_request, reply) => {
    const report = await deps.health();
    return reply.status(report.status === 'ok' ? 200 : 503).send(report);
  });

  app.get('/metrics', { schema: { summary: 'Prometheus metrics', tags: ['ops'] } }, async (_request, reply) => {
    return reply.header('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
}
