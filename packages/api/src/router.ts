import type { inferRouterInputs, inferRouterOutputs } from '@trpc/server';
import { auditRouter } from './routers/audit';
import { eventsRouter } from './routers/events';
import { healthRouter } from './routers/health';
import { projectsRouter } from './routers/projects';
import { tasksRouter } from './routers/tasks';
import { webhooksRouter } from './routers/webhooks';
import { workersRouter } from './routers/workers';
import { router } from './trpc';

export const appRouter = router({
  health: healthRouter,
  projects: projectsRouter,
  tasks: tasksRouter,
  workers: workersRouter,
  audit: auditRouter,
  webhooks: webhooksRouter,
  events: eventsRouter,
});

/** The API's type: what every TypeScript client imports (type-only). */
export type AppRouter = typeof appRouter;

export type RouterInputs = inferRouterInputs<AppRouter>;
export type RouterOutputs = inferRouterOutputs<AppRouter>;

/** 'tasks.create', 'projects.get', ...: every procedure of the router. */
export type ProcedurePath = {
  [NS in keyof RouterInputs & string]: `${NS}.${keyof RouterInputs[NS] & string}`;
}[keyof RouterInputs & string];
