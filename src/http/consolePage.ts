import { pageFiles } from './pageFiles.js';

/**
 * The Security Control console (src/http/console). The page itself holds no data and no secret, so it is
 * served to anyone who can reach the port; everything it shows comes from the API with the officer's
 * token (role security or admin).
 */
export const serveConsole = pageFiles('console', '/console');
