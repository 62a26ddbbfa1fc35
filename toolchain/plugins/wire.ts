// The values the engine sends and expects on the wire, shared by the stand-in plugins:
// secrets wrapped in the SDK's signature object, unknowns as its placeholder.
import { specialSecretSig, specialSigKey, unknownValue } from "@pulumi/pulumi/runtime/rpc";

export function isSecret(v: unknown): v is { value: unknown } {
    return typeof v === "object" && v !== null && (v as Record<string, unknown>)[specialSigKey] === specialSecretSig;
}

export function secret(value: unknown): Record<string, unknown> {
    return { [specialSigKey]: specialSecretSig, value };
}

/** True if the value is, or contains, an unknown (a preview placeholder). */
export function hasUnknown(v: unknown): boolean {
    if (v === unknownValue) return true;
    if (Array.isArray(v)) return v.some(hasUnknown);
    if (typeof v === "object" && v !== null) return Object.values(v).some(hasUnknown);
    return false;
}

/** The plain value with every secret wrapper removed (deeply). */
export function plain(v: unknown): unknown {
    if (isSecret(v)) return plain(v.value);
    if (Array.isArray(v)) return v.map(plain);
    if (typeof v === "object" && v !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, e] of Object.entries(v)) out[k] = plain(e);
        return out;
    }
    return v;
}
