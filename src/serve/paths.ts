/** Where the dashboard's templates and static files are (copied beside the built code by `npm run build`). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
