// The agency's tenant list for a tenant count: the dev stack's own tenant first, then
// tenant-002, tenant-003, … (DNS-1123 labels).
export function tenantNames(n: number): string[] {
    if (!Number.isInteger(n) || n < 1) {
        throw new Error(`tenant count must be a positive integer, got ${n}`);
    }
    return ["client-a", ...Array.from({ length: n - 1 }, (_, i) => `tenant-${String(i + 2).padStart(3, "0")}`)];
}
