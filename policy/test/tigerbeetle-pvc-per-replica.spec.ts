import { T, UNKNOWN, compliantStack, expectViolations, firstContainer, mutate, named, unknownAt, withPreviewUnknowns } from "./fixtures";
import { policyNamed, runPolicy } from "./run";

const policy = policyNamed("tigerbeetle-pvc-per-replica");
const tb = named(T.statefulSet, "tigerbeetle");

describe("tigerbeetle-pvc-per-replica", () => {
    it("passes a data volumeClaimTemplate mounted at /data and retained", async () => {
        expectViolations(await runPolicy(policy, compliantStack()), []);
    });

    it("reports a StatefulSet without volumeClaimTemplates (and the data mount it then lacks)", async () => {
        const r = mutate(compliantStack(), tb, (p) => delete p.spec.volumeClaimTemplates);
        expectViolations(await runPolicy(policy, r), [
            ["StatefulSet tigerbeetle/tigerbeetle: has no volumeClaimTemplates", "[checklist item 1:"],
            ["mounts /data from pod volume data (an undeclared volume)"],
        ]);
    });

    it("reports /data on an emptyDir instead of a claim", async () => {
        const r = mutate(compliantStack(), tb, (p) => {
            p.spec.template.spec.volumes.push({ name: "scratch", emptyDir: {} });
            firstContainer(p).volumeMounts[0].name = "scratch";
        });
        expectViolations(await runPolicy(policy, r), [["container tigerbeetle mounts /data from pod volume scratch (emptyDir), not from a claim per replica"]]);
    });

    it("reports nothing mounted at the data path", async () => {
        const r = mutate(compliantStack(), tb, (p) => (firstContainer(p).volumeMounts = firstContainer(p).volumeMounts.filter((m: any) => m.mountPath !== "/data")));
        expectViolations(await runPolicy(policy, r), [["container tigerbeetle mounts nothing at /data"]]);
    });

    it("reports a claim template without a storage request", async () => {
        const r = mutate(compliantStack(), tb, (p) => delete p.spec.volumeClaimTemplates[0].spec.resources);
        expectViolations(await runPolicy(policy, r), [["volumeClaimTemplate data requests no storage"]]);
    });

    it("reports claims deleted with the set or on scale-down", async () => {
        const r = mutate(compliantStack(), tb, (p) => (p.spec.persistentVolumeClaimRetentionPolicy = { whenDeleted: "Delete", whenScaled: "Delete" }));
        expectViolations(await runPolicy(policy, r), [["persistentVolumeClaimRetentionPolicy.whenDeleted is Delete"], ["persistentVolumeClaimRetentionPolicy.whenScaled is Delete"]]);
    });

    it("follows the configured data path", async () => {
        const v = await runPolicy(policy, compliantStack(), { "tigerbeetle-pvc-per-replica": { dataMountPath: "/var/lib/tigerbeetle" } });
        expectViolations(v, [["mounts nothing at /var/lib/tigerbeetle"]]);
    });

    it("still reports a missing claim template with the values a preview leaves unknown elsewhere", async () => {
        const r = mutate(compliantStack(), tb, (p) => delete p.spec.volumeClaimTemplates);
        expectViolations(await runPolicy(policy, withPreviewUnknowns(r)), [["StatefulSet tigerbeetle/tigerbeetle: has no volumeClaimTemplates"], ["mounts /data from pod volume data (an undeclared volume)"]]);
    });

    it("counts a storage request unknown during preview as a request, and reports an unknown retention policy or claim list", async () => {
        expectViolations(await runPolicy(policy, unknownAt(compliantStack(), tb, "spec", "volumeClaimTemplates", 0, "spec", "resources", "requests", "storage")), []);
        const retention = unknownAt(compliantStack(), tb, "spec", "persistentVolumeClaimRetentionPolicy", "whenScaled");
        expectViolations(await runPolicy(policy, retention), [["persistentVolumeClaimRetentionPolicy.whenScaled is unknown during preview, so it may be Delete"]]);
        const claims = unknownAt(compliantStack(), tb, "spec", "volumeClaimTemplates");
        expectViolations(await runPolicy(policy, claims), [["spec.volumeClaimTemplates is unknown during preview"], ["mounts /data from a volume not known to be a claim template"]]);
        const path = mutate(compliantStack(), tb, (p) => (firstContainer(p).volumeMounts[0].mountPath = UNKNOWN));
        expectViolations(await runPolicy(policy, path), [["container tigerbeetle mounts volumes at paths unknown during preview, so /data, where the data file lives, is not known to be mounted"]]);
    });
});
