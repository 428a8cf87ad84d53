// The Consul ACL permission a request of ours needs, named in errors when Consul answers 403
// (Consul 1.8 says only "Permission denied" for most endpoints). Pure; keep in step with the
// README's policy blocks.

const RULES: readonly [RegExp, (m: RegExpMatchArray) => string][] = [
  [/^\/agent\/service\/(register|deregister\/|maintenance\/)/, () => 'service:write on the registered service and its sidecar proxy'],
  [/^\/agent\/check\//, () => 'service:write on the service the check belongs to'],
  [/^\/agent\/connect\/ca\/leaf\/([^/?]+)/, (m) => `service:write on "${decodeURIComponent(m[1]!)}" (Connect leaf certificate)`],
  [/^\/health\/(service|connect)\/([^/?]+)/, (m) => `service:read on "${decodeURIComponent(m[2]!)}" and node:read`],
  [/^\/catalog\/service\/([^/?]+)/, (m) => `service:read on "${decodeURIComponent(m[1]!)}" and node:read`],
  [/^\/connect\/intentions|^\/config\/service-intentions/, () => 'intentions:read (a service rule with intentions = "read")'],
  [/^\/agent\/self/, () => 'agent:read on this node'],
];

export function requiredPermission(path: string): string {
  for (const [re, name] of RULES) {
    const m = path.match(re);
    if (m) return name(m);
  }
  return 'an ACL permission for this endpoint';
}
