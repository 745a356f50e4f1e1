/**
 * Every stateful operation of the mock by operationId, one module per resource group. Operations
 * not listed are answered by Prism from the contract's examples.
 * @module
 */
import { iso, type Resource } from './context.js';
import { analysisResources } from './analysis.js';
import { apiKeyResources } from './api-keys.js';
import { attestationResources } from './attestations.js';
import { evalResources } from './evals.js';
import { feedbackResources } from './feedback.js';
import { projectResources } from './projects.js';
import { traceResources } from './traces.js';
import { usageResources } from './usage.js';

const getHealth: Resource = async (_req, _tenantId, ctx) => ({ status: 200, body: { status: 'ok', version: ctx.version, time: iso(ctx.now()) } });

/** The stateful handlers by operationId. */
export const resources: Readonly<Record<string, Resource>> = {
  getHealth,
  ...traceResources,
  ...feedbackResources,
  ...evalResources,
  ...projectResources,
  ...apiKeyResources,
  ...usageResources,
  ...attestationResources,
  ...analysisResources,
};

export { addSpans, ingestOne, traceRecord } from './traces.js';
export type { Resource, ResourceContext } from './context.js';
