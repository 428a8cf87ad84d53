// The package version, read once (the CLI's --version and kong_node_info).
import { readFileSync } from 'node:fs';

export const MESHGATE_VERSION: string = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
