import { ResourceValidationPolicy } from "@pulumi/policy";
import { SECURITY, UNKNOWN_TEXT, configOf, containerLabel, get, isUnknown, kindOf, message, str, validateWorkloads } from "../lib";

interface SeccompException {
    kind: string;
    name: string;
    namespace?: string;
    profile: string;
    reason?: string;
}

interface Config {
    exceptions: SeccompException[];
}

const TIGERBEETLE_EXCEPTION: SeccompException = {
    kind: "StatefulSet",
    name: "tigerbeetle",
    profile: "Unconfined",
    reason: "TigerBeetle uses io_uring, which the container runtime's default seccomp profile blocks (seed 003: seccomp=unconfined)",
};

/** Seccomp RuntimeDefault for every pod; TigerBeetle's documented Unconfined is the only exception. */
export const podsUseRuntimeDefaultSeccomp: ResourceValidationPolicy = {
    name: "pods-use-runtime-default-seccomp",
    description: "Every pod (and container override) uses seccompProfile RuntimeDefault, except the workloads listed in exceptions (TigerBeetle: Unconfined, for io_uring).",
    enforcementLevel: "mandatory",
    configSchema: {
        properties: {
            exceptions: {
                type: "array",
                default: [TIGERBEETLE_EXCEPTION],
                description: "Workloads allowed another seccomp profile: kind, name, optional namespace, the profile, and why.",
                items: {
                    type: "object",
                    required: ["kind", "name", "profile"],
                    properties: {
                        kind: { type: "string" },
                        name: { type: "string" },
                        namespace: { type: "string" },
                        profile: { type: "string", enum: ["Unconfined", "Localhost"] },
                        reason: { type: "string" },
                    },
                },
            },
        },
    },
    validateResource: validateWorkloads((w, args, report) => {
        const { exceptions } = configOf<Config>(args, podsUseRuntimeDefaultSeccomp.configSchema!);
        const exception = exceptions.find((e) => e.kind === kindOf(w.type) && e.name === w.ref.name && (e.namespace === undefined || e.namespace === w.ref.namespace));
        const allowed = exception?.profile;
        const item = SECURITY.seccomp;
        const fix = "set securityContext.seccompProfile.type: RuntimeDefault (only documented exceptions, listed in the policy config, may differ)";
        const podProfile = str(get(w.podSpec, "securityContext", "seccompProfile", "type"));
        const check = (where: string, profile: string | undefined) => {
            if (profile !== undefined && profile !== "RuntimeDefault" && profile !== allowed) {
                report(message(w.ref, `${where} uses seccomp profile ${profile}${exception ? ` (its exception allows ${allowed})` : ""}`, item, fix));
            }
        };
        // An unknown profile may be Unconfined: not known-compliant, so it is reported (a
        // seccomp profile is a literal of the manifest, never another resource's output).
        const unknown = (where: string) => report(message(w.ref, `${where} seccomp profile is ${UNKNOWN_TEXT}`, item, fix));
        if (isUnknown(podProfile)) {
            unknown("pod");
        } else {
            check("pod", podProfile);
        }
        for (const c of w.containers) {
            const profile = str(get(c.container, "securityContext", "seccompProfile", "type"));
            if (isUnknown(profile)) {
                unknown(containerLabel(c));
                continue;
            }
            check(containerLabel(c), profile);
            if (profile === undefined && podProfile === undefined) {
                report(message(w.ref, `${containerLabel(c)} has no seccomp profile (neither the pod nor the container sets one)`, item, fix));
            }
        }
    }),
};
