/**
 * What the page gets for `node:*` imports. The SDK's read functions (connect, models, results)
 * and its verification (with the page's own runner, app/verify.ts) work in a browser; a few
 * modules it pulls in also hold Node-only helpers (reading deployment files, writing sample
 * models, the Node model runner's temporary cache) that the page never calls.
 */
function unavailable(name: string): never {
  throw new Error(`${name} is not available in the browser: it is a Node-only path of the SDK`);
}

export const existsSync = (): boolean => false;
export const readFileSync = (): never => unavailable("readFileSync");
export const readdirSync = (): never => unavailable("readdirSync");
export const mkdirSync = (): never => unavailable("mkdirSync");
export const writeFileSync = (): never => unavailable("writeFileSync");
export const renameSync = (): never => unavailable("renameSync");
export const homedir = (): string => "/";
export const readFile = async (): Promise<never> => unavailable("readFile");
export const writeFile = async (): Promise<never> => unavailable("writeFile");
export const mkdir = async (): Promise<never> => unavailable("mkdir");
export const mkdtemp = async (): Promise<never> => unavailable("mkdtemp");
export const rename = async (): Promise<never> => unavailable("rename");
export const rm = async (): Promise<never> => unavailable("rm");
export const tmpdir = (): string => "/tmp";
export const join = (...parts: string[]): string => parts.join("/");
export const resolve = join;
export const dirname = (path: string): string => path.replace(/\/[^/]*$/, "");
// deployments.ts computes its default directory from import.meta.url when it loads.
export const fileURLToPath = (url: string | URL): string => String(url);
export const pathToFileURL = (path: string): URL => new URL(`file://${path}`);
export const createHash = (): never => unavailable("createHash");

export default {};
