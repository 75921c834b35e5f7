/** Log group -> cluster name (the `<suffix>` of `tigera_secure_ee_audit_kube.<suffix>.*`), set explicitly. */
export type ClusterMap = ReadonlyMap<string, string>;

const EKS_GROUP = /^\/aws\/eks\/([^/]+)\/cluster$/;

/**
 * The cluster of a log group: the mapping's, else the name in EKS's `/aws/eks/<cluster>/cluster`,
 * else undefined (the sink's own index suffix).
 */
export function clusterOfGroup(group: string, clusters: ClusterMap): string | undefined {
  return clusters.get(group) ?? EKS_GROUP.exec(group)?.[1]?.toLowerCase();
}

/**
 * Parses `logGroup=cluster,logGroup=cluster`. Returns the map, or the reason it is not one.
 * Cluster names become index names, so they follow the index suffix's rules.
 */
export function parseClusterMap(text: string | undefined): ClusterMap | string {
  const map = new Map<string, string>();
  if (!text) return map;
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const eq = entry.lastIndexOf('=');
    const group = entry.slice(0, eq).trim();
    const cluster = entry.slice(eq + 1).trim();
    if (eq <= 0 || !group || !cluster) return `"${entry}" is not logGroup=cluster`;
    if (!/^[a-z0-9][a-z0-9_.-]*$/.test(cluster)) return `cluster "${cluster}" must be an index suffix (lower case letters, digits, "-", "_", ".")`;
    if (map.has(group) && map.get(group) !== cluster) return `log group ${group} is mapped twice`;
    map.set(group, cluster);
  }
  return map;
}
