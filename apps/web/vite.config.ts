import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const api = process.env.API_URL ?? 'http://127.0.0.1:8000';
const auth = process.env.AUTH_URL ?? 'http://127.0.0.1:3001';

// `pnpm --filter @taskflow/web dev` proxies like the production server does, so
// the browser talks to one origin and the session cookie stays first-party.
export default defineConfig({
  plugins: [react()],
  server: {
    port: Number(process.env.WEB_PORT ?? 3000),
    // First match wins: /api/auth and /api/agents before the rest of /api.
    proxy: {
      '/api/auth': auth,
      '/api/agents': auth,
      '/trpc': api,
      '/api': api,
      '/openapi.json': api,
      '/docs': api,
    },
  },
  // Hidden: the maps stay in dist/ for whoever decodes a stack trace, but no bundle points
  // at them and the web server does not serve them (they hold the whole source).
  build: { outDir: 'dist', sourcemap: 'hidden' },
});
