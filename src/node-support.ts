/** Node lines this release is tested on; the image runs the newest LTS. */
export const SUPPORTED_NODE = [20, 22, 24] as const;
const SDK_SWITCH = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * On Node 20 the AWS SDK prints a nine-line NodeVersionSupportWarning at every process start.
 * Say it once, in one line, and switch the SDK's own off (children inherit the switch, so a
 * process tree says it once).
 */
export function nodeSupportNotice(env: NodeJS.ProcessEnv = process.env, version = process.version): string | undefined {
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!(major < 22) || env[SDK_SWITCH] !== undefined) return undefined;
  env[SDK_SWITCH] = 'true';
  return `eks-log-forwarder: Node ${version} works; AWS SDK releases after January 2027 need Node 22 or later (tested: Node ${SUPPORTED_NODE.join(', ')})`;
}
