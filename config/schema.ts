// How a config key is declared, once: its fields, each with its default (per environment
// where dev and prod differ), its documentation and its check. The program reads the
// stack through these declarations, and docs.ts renders Pulumi.yaml's `config:` block and
// the README's config table from the same ones (specs in test/config-declarations.spec.ts
// fail when either drifts).
import * as pulumi from "@pulumi/pulumi";
import { Json, Reader } from "./reader";
import type { CredentialSource } from "./secrets";
import { Environment, RegistryConfig, ResourceFigures } from "./types";

/** A value that differs between dev and prod. */
export interface PerEnv<T> {
    dev: T;
    prod: T;
}
export type Default<T> = T | PerEnv<T>;

/** A default as the docs show it. */
export type DocValue = string | number | boolean | string[] | ResourceFigures;

/** What a field's reader sees: the stack, and what the keys read before it settled. */
export interface Context {
    readonly r: Reader;
    readonly values: Record<string, Json>;
    /** Keys the stack holds as secrets (`pulumi config set --secret`). */
    readonly secretKeys: ReadonlySet<string>;
    readonly stack: string;
    readonly environment: Environment;
    readonly prod: boolean;
    /** `namespacePrefix`, once read: the tiers' default namespaces follow it. */
    readonly prefix?: string;
    /** The registry, once read: built images are pushed there. */
    readonly registry?: RegistryConfig;
    /** `secrets`, once read: where the operator-supplied credentials come from. */
    readonly credentials?: CredentialSource;
}

export interface Field<T> {
    readonly kind: "field";
    /** The value when the field is unset (per environment), as the docs show it. */
    readonly default?: Default<DocValue>;
    /** What an unset field without a default means ("required", "cluster default", ...). */
    readonly unset?: string;
    /** The engine must see the key set: Pulumi.yaml declares it without a default. */
    readonly required?: boolean;
    /** The values it accepts, when they are a fixed list (the docs name the others). */
    readonly values?: readonly string[];
    /** A short remark for the docs: a constraint, or how the default is used. */
    readonly note?: string;
    /** Whether the docs may list it inline with its siblings (a plain scalar). */
    readonly scalar: boolean;
    /** A credential: read as a Pulumi secret, never declared in Pulumi.yaml. */
    readonly secret?: boolean;
    /** Reads and checks the value at `path`, reporting problems to `ctx.r`. */
    read(ctx: Context, path: string, value: Json): T;
}

export interface Group<F extends Fields> {
    readonly kind: "group";
    readonly fields: F;
    readonly note?: string;
    /** The docs show the group as one row, `path.{a,b,...}` (scalars alike in both environments). */
    readonly inline?: boolean;
}

export type Fields = { readonly [name: string]: Field<unknown> | Group<any> };

/** A top-level key of the project (`m2m-platform:<key>`). */
export interface KeyDecl<V extends Field<unknown> | Group<Fields> = Field<unknown> | Group<Fields>> {
    readonly key: string;
    /** One line: what the key is for (Pulumi.yaml's description starts with it). */
    readonly description: string;
    readonly value: V;
}

export type ValueOf<X> = X extends Field<infer T> ? T : never;
export type FieldsOf<X> = X extends Group<infer F> ? F : never;

export function declare<V extends Field<unknown> | Group<Fields>>(key: string, description: string, value: V): KeyDecl<V> {
    return { key, description, value };
}

export function group<F extends Fields>(fields: F, opts: { note?: string; inline?: boolean } = {}): Group<F> {
    return { kind: "group", fields, ...opts };
}

export function pick<T>(d: Default<T>, environment: Environment): T {
    return isPerEnv(d) ? d[environment] : d;
}

export function isPerEnv<T>(d: Default<T>): d is PerEnv<T> {
    return typeof d === "object" && d !== null && !Array.isArray(d) && "dev" in d && "prod" in d;
}

// ---------------------------------------------------------------------------------------
// Field kinds. Each takes its default, documentation and an optional extra check.

interface Doc<T> {
    note?: string;
    /** Runs after the value is read: cross-checks that belong to this field. */
    check?: (ctx: Context, path: string, value: T) => void;
}

/** A field of a kind of its own (declared where it is used). */
export function field<T>(spec: Omit<Field<T>, "kind" | "scalar"> & { scalar?: boolean }): Field<T> {
    return { kind: "field", scalar: true, ...spec };
}

function checked<T>(spec: Omit<Field<T>, "kind" | "scalar" | "read"> & { scalar?: boolean }, doc: Doc<T>, read: Field<T>["read"]): Field<T> {
    const { check } = doc;
    return field<T>({
        ...spec,
        note: doc.note,
        read: check
            ? (ctx, path, value) => {
                  const v = read(ctx, path, value);
                  check(ctx, path, v);
                  return v;
              }
            : read,
    });
}

/** A string, `default` when unset or empty. */
export function str(opts: { default: Default<string> } & Doc<string>): Field<string> {
    return checked({ default: opts.default }, opts, (ctx, path, value) => {
        const def = pick(opts.default, ctx.environment);
        return ctx.r.string(path, value, def) ?? def;
    });
}

/** A string that may stay unset (`unset` says what that means). */
export function optionalStr(opts: { unset: string } & Doc<string | undefined>): Field<string | undefined> {
    return checked({ unset: opts.unset }, opts, (ctx, path, value) => ctx.r.string(path, value));
}

/** A string that must be set (where it is read at all); `fix` says how. */
export function requiredStr(opts: { unset: string; fix: string } & Doc<string>): Field<string> {
    return checked({ unset: opts.unset }, opts, (ctx, path, value) => ctx.r.requiredString(path, value, opts.fix));
}

export function oneOf<const T extends string>(opts: { values: readonly T[]; default: NoInfer<T>; unset?: string; required?: boolean } & Doc<NoInfer<T>>): Field<T> {
    return checked({ default: opts.required ? undefined : opts.default, values: opts.values, unset: opts.unset, required: opts.required }, opts, (ctx, path, value) =>
        ctx.r.oneOf(path, value, opts.values, opts.default),
    );
}

export function int(opts: { default: Default<number>; min?: number; max?: number } & Doc<number>): Field<number> {
    return checked({ default: opts.default }, opts, (ctx, path, value) =>
        ctx.r.int(path, value, pick(opts.default, ctx.environment), { min: opts.min, max: opts.max }),
    );
}

export function num(opts: { default: Default<number>; min?: number; max?: number } & Doc<number>): Field<number> {
    return checked({ default: opts.default }, opts, (ctx, path, value) =>
        ctx.r.number(path, value, pick(opts.default, ctx.environment), { min: opts.min, max: opts.max }),
    );
}

export function bool(opts: { default: Default<boolean> } & Doc<boolean>): Field<boolean> {
    return checked({ default: opts.default }, opts, (ctx, path, value) => ctx.r.bool(path, value, pick(opts.default, ctx.environment)));
}

/** A list of strings (`of` names what they are, for the message), `default` when unset. */
export function list(opts: { default: string[]; of: string } & Doc<Json[]>): Field<Json[]> {
    return checked({ default: opts.default, scalar: false }, opts, (ctx, path, value) => {
        const raw = value ?? opts.default;
        if (!Array.isArray(raw)) {
            ctx.r.fail(path, `expected a list of ${opts.of}, got ${JSON.stringify(raw)}`, `set ${path} to a YAML list such as [${opts.default.join(", ")}]`);
            return [];
        }
        return raw;
    });
}

/** A credential: a top-level key read as a Pulumi secret; in prod it must be stored encrypted. */
export function secret(opts: { unset: string } & Doc<pulumi.Output<string> | undefined>): Field<pulumi.Output<string> | undefined> {
    return checked({ unset: opts.unset, secret: true, scalar: false }, opts, (ctx, key, value) => {
        const s = ctx.r.string(key, value);
        if (s === undefined) {
            return undefined;
        }
        if (ctx.prod && !ctx.secretKeys.has(key)) {
            ctx.r.fail(key, "is stored in plaintext in the stack config", `run \`pulumi config set --secret ${key} <value>\``);
        }
        return pulumi.secret(s);
    });
}

// ---------------------------------------------------------------------------------------
// Reading a stack through the declarations

/** A top-level scalar key's value. */
export function readKey<T>(ctx: Context, decl: KeyDecl<Field<T>>): T {
    return decl.value.read(ctx, decl.key, ctx.values[decl.key]);
}

/** A top-level object key, checked for unknown fields; its fields are read on demand. */
export function section<F extends Fields>(ctx: Context, decl: KeyDecl<Group<F>>): Section<F> {
    return new Section(ctx, decl.key, ctx.values[decl.key], decl.value);
}

/** An object-valued key or field: reads each declared field at its path when asked. */
export class Section<F extends Fields> {
    /** The raw mapping (empty when unset or not a mapping). */
    readonly raw: Record<string, Json>;

    constructor(
        readonly ctx: Context,
        readonly path: string,
        value: Json,
        readonly decl: Group<F>,
    ) {
        this.raw = ctx.r.object(path, value, Object.keys(decl.fields));
    }

    read<K extends keyof F & string>(name: K): ValueOf<F[K]> {
        const f = this.decl.fields[name] as Field<unknown>;
        return f.read(this.ctx, `${this.path}.${name}`, this.raw[name]) as ValueOf<F[K]>;
    }

    section<K extends keyof F & string>(name: K): Section<FieldsOf<F[K]>> {
        return new Section(this.ctx, `${this.path}.${name}`, this.raw[name], this.decl.fields[name] as Group<FieldsOf<F[K]>>);
    }
}
