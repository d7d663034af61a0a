//! Build-time code generation for the `otp-client` crates.
//!
//! otp-client's `build.rs` (with its `generate` feature) and the workspace's `cargo xtask`
//! call [`generate`], so the code that is compiled and the snapshot that is reviewed come from
//! one function; without `generate`, otp-client compiles that snapshot, the code this
//! function made from the bundled spec, and this crate is not built. It runs
//! progenitor on the spec with this project's settings, adds the extensible enums
//! (`x-extensible-enum`), and derives the async or the blocking facade from the methods
//! progenitor generated.
//!
//! otp-client's `build.rs`, with `generate`:
//!
//! ```text
//! fn main() {
//!     otp_client_codegen::build(otp_client_codegen::Target::Async);
//! }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod cli;
mod compat;
mod constructors;
mod error;
mod facade;
mod lean;
mod masked_debug;
mod open_enum;
mod prepare;
mod schemas;

use std::path::{Path, PathBuf};

use heck::ToShoutySnakeCase;
use proc_macro2::TokenStream;
use progenitor::{GenerationSettings, Generator, InterfaceStyle, TypeImpl};
use quote::quote;

pub use compat::{Missing, check_compatibility};
pub use error::CodegenError;
pub use open_enum::{EXTENSIBLE_ENUM_EXTENSION, OpenEnum, open_enums};
pub use otp_spec::{
    BodyProperty, CRATE_SPEC_FILE, LONG_POLLING_EXTENSION, NOT_IN_REFERENCE_EXTENSION, OVERLAY_ENV,
    Operation, Overlay, SDK_NOTE_EXTENSION, SPEC_COPY_FILE, SPEC_ENV, Spec, SpecError,
    WIDGET_EXTENSION, WidgetExposure,
};

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// `otp-client`: progenitor's client, the extensible enums and the async facade.
    Async,
    /// `otp-client-blocking`: the blocking facade over `otp-client`.
    Blocking,
    /// `otp-cli`: the `otp` binary's subcommands, one per operation.
    Cli,
}

impl Target {
    /// Every target.
    pub const ALL: [Target; 3] = [Target::Async, Target::Blocking, Target::Cli];

    /// The targets that are Rust APIs for users (the clients).
    pub const CLIENTS: [Target; 2] = [Target::Async, Target::Blocking];

    /// The crate the target's code belongs to.
    pub const fn crate_name(self) -> &'static str {
        match self {
            Target::Async => "otp-client",
            Target::Blocking => "otp-client-blocking",
            Target::Cli => "otp-cli",
        }
    }

    /// The generated file's name, in `OUT_DIR` and among the snapshots.
    pub fn file_name(self) -> &'static str {
        match self {
            Target::Async => "otp_client.rs",
            Target::Blocking => "otp_client_blocking.rs",
            Target::Cli => "otp_cli.rs",
        }
    }
}

/// What [`generate`] produced for one target.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The code, formatted with prettyplease.
    pub code: String,
    /// The operation methods the target's facade has, by Rust name, in the spec's order.
    pub methods: Vec<String>,
    /// The optional crates of `otp-client` the code names, as progenitor's type space says.
    pub needs: Needs,
}

/// The crates behind `otp-client`'s features `chrono` and `regress` that code generated from
/// a spec names: typify writes a `date` or `date-time` format as chrono's types, and a
/// `pattern` as a regress regex. The bundled spec needs neither. A build that generates
/// (otp-client's `generate`) has both; the code otp-client ships for the bundled spec says
/// what it needs (`generated/prebuilt.txt`), and its build checks those features.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Needs {
    /// A `date` or `date-time` format: chrono's types.
    pub chrono: bool,
    /// A `pattern`: a regress regex.
    pub regress: bool,
}

impl Needs {
    /// The features of `otp-client` that bring what the code needs, by name.
    pub fn features(self) -> impl Iterator<Item = &'static str> {
        [(self.chrono, "chrono"), (self.regress, "regress")]
            .into_iter()
            .filter_map(|(needed, feature)| needed.then_some(feature))
    }
}

/// Types of the spec that the client crate writes by hand, by schema name: progenitor uses
/// them instead of generating its own.
const HAND_WRITTEN_TYPES: &[(&str, &str)] = &[("RequestId", "crate::RequestId")];

/// What a build asks of the generated code beyond its defaults: the client crate's features.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Options {
    /// Every generated type derives `schemars::JsonSchema` (`otp-client`'s `schemars`
    /// feature).
    pub schemars: bool,
}

impl Options {
    /// The options a build script's package features ask for (`CARGO_FEATURE_SCHEMARS`).
    pub fn from_features() -> Self {
        Self {
            schemars: std::env::var_os("CARGO_FEATURE_SCHEMARS").is_some(),
        }
    }
}

/// Generates the code of `target` from `spec`, with the default [`Options`] (what the
/// snapshots hold).
pub fn generate(spec: &Spec, target: Target) -> Result<Generated, CodegenError> {
    generate_with(spec, target, Options::default())
}

/// Generates the code of `target` from `spec`, with `options`.
pub fn generate_with(
    spec: &Spec,
    target: Target,
    options: Options,
) -> Result<Generated, CodegenError> {
    Progenitored::new(spec, options)?.target(spec, target)
}

/// progenitor's client for a spec, which every target's code is written from: generated
/// once however many targets a build writes.
struct Progenitored {
    raw_file: syn::File,
    needs: Needs,
    methods: Vec<facade::RawMethod>,
}

impl Progenitored {
    fn new(spec: &Spec, options: Options) -> Result<Self, CodegenError> {
        let (raw_file, needs) = raw_client(spec, options)?;
        let methods = facade::raw_methods(spec, &raw_file)?;
        Ok(Self {
            raw_file,
            needs,
            methods,
        })
    }

    /// The code of `target`.
    fn target(&self, spec: &Spec, target: Target) -> Result<Generated, CodegenError> {
        let Self {
            raw_file,
            needs,
            methods,
        } = self;
        let tokens = match target {
            Target::Async => {
                let enums = open_enums(spec)
                    .iter()
                    .map(open_enum::open_enum_tokens)
                    .collect::<Vec<_>>();
                let operations = spec
                    .operations()
                    .iter()
                    .map(operation_tokens)
                    .collect::<Vec<_>>();
                let list = operations_macro(spec, methods);
                let constants = spec
                .operations()
                .iter()
                .enumerate()
                .map(|(i, op)| {
                    let name = quote::format_ident!("{}", op.id.to_shouty_snake_case());
                    let doc = format!("`{}`.", op.id);
                    quote! {
                        #[doc = #doc]
                        pub(crate) const #name: &crate::operation::Operation = &super::OPERATIONS[#i];
                    }
                })
                .collect::<Vec<_>>();
                let facade = facade::facade_tokens(methods, target);
                let options = facade::options_tokens(spec, methods);
                let operation_ids = operation_id_tokens(spec)?;
                let schemas = schemas::schemas_tokens(spec, raw_file);
                let servers = spec.openapi().servers.iter().map(|s| {
                    let description = s.description.clone().unwrap_or_default();
                    let url = &s.url;
                    quote! { (#description, #url) }
                });
                quote! {
                    /// The spec's servers: (description, URL).
                    pub(crate) const SERVERS: &[(&str, &str)] = &[#(#servers),*];
                    /// progenitor's client, as generated from the spec.
                    pub mod raw {
                        #raw_file
                    }
                    /// The spec's extensible enums (`x-extensible-enum`).
                    pub mod open_enums {
                        #(#enums)*
                    }
                    mod facade {
                        #facade
                    }
                    /// Each operation's optional parameters.
                    pub mod options {
                        #options
                    }
                    #operation_ids
                    /// Every operation of the spec, in its order: what the client checks each
                    /// request against before sending it.
                    pub(crate) const OPERATIONS: &[crate::operation::Operation] = &[#(#operations),*];
                    /// Each operation of `OPERATIONS`, by name, for the hand-written layer.
                    #[allow(dead_code)]
                    pub(crate) mod ops {
                        #(#constants)*
                    }
                    #list
                    #schemas
                }
            }
            Target::Blocking => {
                let facade = facade::facade_tokens(methods, target);
                quote! {
                    mod facade {
                        #facade
                    }
                }
            }
            Target::Cli => cli::cli_tokens(spec, methods),
        };
        Ok(Generated {
            code: format(spec, tokens)?,
            methods: methods.iter().map(|m| m.name.to_string()).collect(),
            needs: *needs,
        })
    }
}

/// progenitor's client for `spec`, with the `lean` passes applied.
fn raw_client(spec: &Spec, options: Options) -> Result<(syn::File, Needs), CodegenError> {
    let (raw, needs) = progenitor_tokens(spec, options)?;
    let mut file: syn::File = syn::parse2(raw).map_err(|e| CodegenError::Generator {
        path: spec.path().to_path_buf(),
        message: format!("progenitor's output does not parse: {e}"),
    })?;
    lean::lean(&mut file);
    constructors::constructors(&mut file);
    masked_debug::mask_debug(spec, &mut file);
    Ok((file, needs))
}

/// `for_each_operation!`: the spec's operations as one list that code elsewhere expands (the
/// tests' calls, the widget's routes), so that an operation added to the spec needs no
/// plumbing by hand. (The CLI's subcommands are generated by [`Target::Cli`].)
fn operations_macro(spec: &Spec, methods: &[facade::RawMethod]) -> TokenStream {
    let operations = spec.operations();
    let entries = methods.iter().map(|m| {
        let op = &operations[m.index];
        let id = &op.id;
        let name = &m.name;
        let http = &op.http_method;
        let long_polling = op.long_polling;
        let widget = quote::format_ident!(
            "{}",
            match op.widget {
                Some(WidgetExposure::Browser) => "browser",
                Some(WidgetExposure::ServerOnly) => "server_only",
                None => "unmarked",
            }
        );
        let path = &op.path;
        let params = m.params.iter().map(|(n, _)| n);
        let success = op.success.as_ref().map_or(200, |(status, _)| *status);
        let summary = &op.summary;
        quote! {
            {
                id: #id,
                method: #name,
                params: [#(#params),*],
                http: #http,
                path: #path,
                success: #success,
                long_polling: #long_polling,
                widget: #widget,
                summary: #summary,
            }
        }
    });
    quote! {
        /// Expands `$callback! { {id: …, method: …, params: [...], http: …, path: …,
        /// success: …, long_polling: …, widget: …, summary: …} … }`: one entry per operation
        /// of the spec, in its order, with the method's argument names (`body` for a request
        /// body), the success status and the spec's `x-widget` (`browser`, `server_only`, or
        /// `unmarked` where the spec does not say). Tests and tools expand it to reach every operation without
        /// a list of their own; a callback that needs only the first fields matches the rest
        /// with `$($rest:tt)*`.
        ///
        /// ```
        /// macro_rules! ids {
        ///     ($({ id: $id:literal, $($rest:tt)* })*) => { &[$($id),*] };
        /// }
        /// let ids: &[&str] = otp_client::for_each_operation!(ids);
        /// assert!(ids.contains(&"checkStatusAndComplete"));
        /// ```
        #[macro_export]
        macro_rules! for_each_operation {
            ($callback:ident) => {
                $callback! { #(#entries)* }
            };
        }
    }
}

/// `OperationId` (see [`otp_spec::operation_id_enum`], its one generator), as tokens.
fn operation_id_tokens(spec: &Spec) -> Result<TokenStream, CodegenError> {
    otp_spec::operation_id_enum(spec)
        .parse()
        .map_err(|e| CodegenError::Generator {
            path: spec.path().to_path_buf(),
            message: format!("the OperationId enum does not parse: {e}"),
        })
}

/// One entry of `OPERATIONS`.
fn operation_tokens(op: &Operation) -> TokenStream {
    let Operation {
        id,
        method_name,
        http_method,
        long_polling,
        error_decodes_as_success,
        ..
    } = op;
    let idempotent = http_method == "GET";
    let success_status = match op.success {
        Some((status, _)) => quote! { Some(#status) },
        None => quote! { None },
    };
    let segments = op.path.trim_start_matches('/').split('/').map(|segment| {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => quote! { crate::operation::Segment::Param(#name) },
            None => quote! { crate::operation::Segment::Literal(#segment) },
        }
    });
    let query = op
        .parameters
        .iter()
        .filter(|(_, location)| location == "query")
        .map(|(name, _)| name);
    quote! {
        crate::operation::Operation {
            id: #id,
            method: #method_name,
            idempotent: #idempotent,
            long_polling: #long_polling,
            success_status: #success_status,
            error_decodes_as_success: #error_decodes_as_success,
            path: &[#(#segments),*],
            query: &[#(#query),*],
        }
    }
}

fn format(spec: &Spec, tokens: TokenStream) -> Result<String, CodegenError> {
    let file: syn::File = syn::parse2(tokens).map_err(|e| CodegenError::Generator {
        path: spec.path().to_path_buf(),
        message: format!("the generated code does not parse: {e}"),
    })?;
    let info = &spec.openapi().info;
    Ok(format!(
        "// @generated by otp-client-codegen from the {} {} OpenAPI spec: edit the spec, not this file.\n\n{}",
        info.title,
        info.version,
        prettyplease::unparse(&file)
    ))
}

fn settings(spec: &Spec, options: Options) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Positional)
        .with_inner_type(quote! { crate::call::Call });
    if options.schemars {
        settings.with_derive("::schemars::JsonSchema");
    }
    for (schema, path) in HAND_WRITTEN_TYPES {
        settings.with_replacement(
            *schema,
            *path,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    for e in open_enums(spec) {
        let path = format!("crate::types::{}", e.name);
        settings.with_replacement(
            &e.name,
            path,
            [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
        );
    }
    settings
}

fn progenitor_tokens(spec: &Spec, options: Options) -> Result<(TokenStream, Needs), CodegenError> {
    let settings = settings(spec, options);
    let openapi = prepare::prepared(spec.openapi().clone());
    // progenitor panics on some specs it cannot handle; say so instead of crashing the build.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let result = std::panic::catch_unwind(move || {
        let mut generator = Generator::new(&settings);
        let tokens = generator.generate_tokens(&openapi)?;
        let types = generator.get_type_space();
        let needs = Needs {
            chrono: types.uses_chrono(),
            regress: types.uses_regress(),
        };
        Ok::<_, progenitor::Error>((tokens, needs))
    });
    std::panic::set_hook(previous);
    let message = match result {
        Ok(Ok(generated)) => return Ok(generated),
        Ok(Err(e)) => e.to_string(),
        Err(panic) => panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "it panicked".to_string()),
    };
    Err(CodegenError::Generator {
        path: spec.path().to_path_buf(),
        message,
    })
}

/// The metadata key under which `otp-client`'s build script tells the crates that depend on it
/// which spec it was generated from (they read it as `DEP_OTP_CLIENT_SPEC`), so that every
/// crate of one build generates from the same spec.
pub const SPEC_METADATA: &str = "spec";

/// The metadata key under which `otp-client`'s build script says where it wrote the blocking
/// facade (`DEP_OTP_CLIENT_BLOCKING`, which otp-client-blocking's build script copies).
pub const BLOCKING_METADATA: &str = "blocking";

/// The variable under which cargo hands a crate built on `otp-client` the metadata `key` of
/// its build script: `DEP_` and the `links` name (the crate's), upper-cased.
fn metadata_env(key: &str) -> String {
    format!("DEP_{}_{}", Target::Async.crate_name(), key)
        .to_uppercase()
        .replace('-', "_")
}

/// Everything a client crate's `build.rs` does: generate `target` into `OUT_DIR`, and rerun
/// when the spec changes. On a bad or incompatible spec it stops the build with one message
/// (the error's description).
///
/// `otp-client` ([`Target::Async`]) generates from the file named by `OTP_HANDLER_SPEC` when
/// it is set, else from the spec it bundles; it checks the spec against what the hand-written
/// layer needs ([`check_compatibility`]) and passes the spec on to the crates built on it.
/// The others ([`Target::Blocking`], [`Target::Cli`]) generate from the spec `otp-client` was
/// generated from, so one build never mixes two specs.
pub fn build(target: Target) {
    if let Err(e) = build_target(target) {
        // One line per line of the message: cargo shows each `cargo::error`.
        for line in e.to_string().lines() {
            println!("cargo::error={line}");
        }
    }
}

fn build_target(target: Target) -> Result<(), CodegenError> {
    let out_dir = out_dir();
    let spec = match target {
        Target::Async => {
            let (spec, copy) = otp_spec::build_spec(&out_dir)?;
            println!("cargo::metadata={SPEC_METADATA}={}", copy.display());
            spec
        }
        // Cargo does not watch the `DEP_*` variables it sets; the `rerun-if-changed` on the
        // merged spec in otp-client's `OUT_DIR` reruns this when otp-client generates from
        // another spec or overlay.
        Target::Blocking | Target::Cli => {
            let variable = metadata_env(SPEC_METADATA);
            let path = PathBuf::from(std::env::var_os(&variable).ok_or_else(|| {
                CodegenError::Spec(otp_spec::SpecError::Override {
                    message: format!(
                        "{} must depend on otp-client directly, of the same release: its \
                         build script says which spec the client was generated from \
                         ({variable} is not set; otp-client 0.2.0 and older do not \
                         set it)",
                        target.crate_name()
                    ),
                })
            })?);
            println!("cargo::rerun-if-changed={}", path.display());
            Spec::load(&path)?
        }
    };
    check_compatibility(&spec)?;
    if target == Target::Async {
        for op in spec.operations().iter().filter(|op| op.widget.is_none()) {
            println!("cargo::warning={}", unexposed_warning(&op.id));
        }
    }
    let progenitored = Progenitored::new(&spec, Options::from_features())?;
    let generated = progenitored.target(&spec, target)?;
    write(&out_dir.join(target.file_name()), &generated.code)?;
    if target == Target::Async {
        // The blocking crate's facade, from the same run of progenitor: otp-client-blocking
        // copies it (`DEP_OTP_CLIENT_BLOCKING`) instead of generating it again.
        let blocking = out_dir.join(Target::Blocking.file_name());
        write(
            &blocking,
            &progenitored.target(&spec, Target::Blocking)?.code,
        )?;
        println!("cargo::metadata={BLOCKING_METADATA}={}", blocking.display());
    }
    Ok(())
}

/// What the build says of an operation no overlay marks with `x-widget`: the widget back end
/// keeps it closed, and the overlay line that would open it.
pub fn unexposed_warning(operation_id: &str) -> String {
    format!(
        "operation `{operation_id}` is not exposed by the widget back end: no overlay marks it \
         `x-widget`. To serve it to browsers, add to an overlay named by {}: \
         `- target: \"$.paths.*[?@.operationId == '{operation_id}']\"` with \
         `update: {{ x-widget: browser }}`",
        otp_spec::OVERLAY_ENV
    )
}

fn out_dir() -> PathBuf {
    PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default())
}

/// Writes `text` to `path` unless it already holds it (so that the crates whose build reads
/// the file are not rebuilt for nothing).
fn write(path: &Path, text: &str) -> Result<(), CodegenError> {
    if std::fs::read_to_string(path).is_ok_and(|old| old == text) {
        return Ok(());
    }
    std::fs::write(path, text).map_err(|source| CodegenError::Write {
        path: path.to_path_buf(),
        source,
    })
}
