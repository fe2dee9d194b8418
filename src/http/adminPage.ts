import { pageFiles } from './pageFiles.js';

/**
 * The web admin (src/http/adminPages): plain files, no data and no secret in them; every list, edit and
 * action goes through the JSON admin API with the admin's token (role admin, or auditor to read).
 */
export const serveAdmin = pageFiles('adminPages', '/admin');
