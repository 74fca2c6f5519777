//! Linking: how every import of every module is satisfied (docs/abi.md §6), and instantiation of
//! the modules of one store.
//!
//! The plan is computed once per compiled plugin and reused by every plugin and store made
//! from it. Creating a store then only instantiates the kernel (pre-linked) and the reactor
//! modules; main is instantiated right before its first call.
//!
//! A template of a pooled runtime has an on-demand sibling ([`PluginTemplate::on_demand`]),
//! made when first needed: a store whose instances find the pool full is made from it instead.

use std::collections::BTreeMap;
use std::sync::{Arc, OnceLock};

use wasmtime::{
    AsContextMut, Extern, ExternType, Func, FuncType, ImportType, Instance, Linker, Module,
    ModuleExport, Store,
};

use crate::engine::Runtime;
use crate::error::{Error, Result};
use crate::host_fn::Function;
use crate::kernel::{KernelInstance, ENV_FUNCTIONS};
use crate::store::{PluginShared, Settings, StoreData};

/// The import module of the Extism kernel.
pub(crate) const ENV: &str = "extism:host/env";

const UPDATE_NOTE: &str = "Note: This may indicate that the PDK that was used to build this \
plugin has additional features that aren't available in this version of the SDK, try updating \
the SDK to the latest version.";

/// Everything the stores of one compiled plugin are made from: its modules, settings, host
/// functions and link plan. A [`CompiledPlugin`](crate::CompiledPlugin) is a shared handle to
/// one, and each plugin made from it holds one too.
pub(crate) struct PluginTemplate {
    pub(crate) runtime: &'static Runtime,
    pub(crate) modules: Vec<NamedModule>,
    pub(crate) main: usize,
    pub(crate) settings: Arc<Settings>,
    /// WASI and user host functions; store-independent.
    linker: Linker<StoreData>,
    /// User functions by (namespace, name), to tell them apart from WASI in `extism:host/env`.
    user_functions: BTreeMap<(String, String), ()>,
    /// The host functions, kept to define them for the on-demand sibling.
    functions: Vec<Function>,
    plan: OnceLock<Result<Plan>>,
    /// The same plugin for the on-demand runtime, when this template's runtime is pooled.
    on_demand: OnceLock<Result<Arc<PluginTemplate>>>,
}

/// A module and the name other modules import it by.
pub(crate) struct NamedModule {
    pub(crate) name: String,
    pub(crate) module: Module,
    /// Exports `_start` and is not main: every call into it gets a fresh instance. (Main is
    /// never a command: it has one instance per store, whatever it exports.)
    pub(crate) command: bool,
}

/// Where one import comes from.
#[derive(Clone)]
enum Source {
    Kernel(ModuleExport),
    Host,
    Instance {
        module: usize,
        export: ModuleExport,
    },
    Command {
        module: usize,
        name: String,
        ty: FuncType,
    },
}

/// How each module's imports are satisfied, and which modules exist from link time on.
struct Plan {
    imports: Vec<Vec<Source>>,
    /// Modules instantiated when a store is created, dependencies first.
    at_link: Vec<usize>,
}

impl PluginTemplate {
    pub(crate) fn new(
        runtime: &'static Runtime,
        modules: Vec<NamedModule>,
        main: usize,
        settings: Arc<Settings>,
        functions: &[Function],
    ) -> Result<Self> {
        let mut linker = runtime.base_linker(settings.with_wasi)?;
        let mut user_functions = BTreeMap::new();
        for function in functions {
            function.define(&runtime.engine, &mut linker)?;
            user_functions.insert(
                (function.namespace().to_owned(), function.name().to_owned()),
                (),
            );
        }
        Ok(PluginTemplate {
            runtime,
            modules,
            main,
            settings,
            linker,
            user_functions,
            functions: functions.to_vec(),
            plan: OnceLock::new(),
            on_demand: OnceLock::new(),
        })
    }

    /// The same plugin for the on-demand runtime, made on first use from this template's
    /// compiled modules; `None` when this template's runtime allocates on demand already.
    pub(crate) fn on_demand(&self) -> Option<Result<Arc<PluginTemplate>>> {
        if !self.runtime.pooled() {
            return None;
        }
        let sibling = self.on_demand.get_or_init(|| {
            let runtime = crate::engine::on_demand(self.runtime.fuel())?;
            let modules = self
                .modules
                .iter()
                .map(|m| {
                    Ok(NamedModule {
                        name: m.name.clone(),
                        module: runtime.adopt(&m.module)?,
                        command: m.command,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let sibling = PluginTemplate::new(
                runtime,
                modules,
                self.main,
                Arc::clone(&self.settings),
                &self.functions,
            )?;
            Ok(Arc::new(sibling))
        });
        Some(sibling.clone())
    }

    pub(crate) fn main_module(&self) -> &Module {
        &self.modules[self.main].module
    }

    /// The link plan, made on first use. Borrowed, not shared through an `Arc`: every store of
    /// every thread reads it, and a shared reference count would be written on each use.
    fn plan(&self, store: &mut Store<StoreData>) -> Result<&Plan> {
        self.plan
            .get_or_init(|| self.make_plan(store))
            .as_ref()
            .map_err(Clone::clone)
    }

    fn make_plan(&self, store: &mut Store<StoreData>) -> Result<Plan> {
        let imports = self
            .modules
            .iter()
            .map(|m| {
                m.module
                    .imports()
                    .map(|import| self.resolve(store, &import))
                    .collect::<Result<Vec<_>>>()
            })
            .collect::<Result<Vec<_>>>()?;
        let at_link = self.link_order(&imports)?;
        Ok(Plan { imports, at_link })
    }

    fn module_index(&self, name: &str) -> Option<usize> {
        self.modules.iter().position(|m| m.name == name)
    }

    fn resolve(&self, store: &mut Store<StoreData>, import: &ImportType<'_>) -> Result<Source> {
        let (module, name, ty) = (import.module(), import.name(), import.ty());
        if let Some(index) = self.module_index(module) {
            return self.resolve_module(index, import);
        }
        if module == ENV {
            check_env_import(name, &ty)?;
            if !self
                .user_functions
                .contains_key(&(module.to_owned(), name.to_owned()))
            {
                return self.resolve_kernel(import);
            }
        }
        let Some(found) = self.linker.get_by_import(&mut *store, import) else {
            return Err(unknown_import(module, name));
        };
        match (found.ty(&*store), &ty) {
            (ExternType::Func(have), ExternType::Func(want)) if have.matches(want) => {
                Ok(Source::Host)
            }
            _ => Err(incompatible_import(module, name)),
        }
    }

    fn resolve_kernel(&self, import: &ImportType<'_>) -> Result<Source> {
        let kernel = &self.runtime.kernel_module;
        let (Some(export), Some(have)) = (
            kernel.get_export_index(import.name()),
            kernel.get_export(import.name()),
        ) else {
            return Err(unknown_import(import.module(), import.name()));
        };
        match (have, import.ty()) {
            (ExternType::Func(have), ExternType::Func(want)) if have.matches(&want) => {
                Ok(Source::Kernel(export))
            }
            _ => Err(incompatible_import(import.module(), import.name())),
        }
    }

    fn resolve_module(&self, index: usize, import: &ImportType<'_>) -> Result<Source> {
        let target = &self.modules[index];
        let (module, name) = (import.module(), import.name());
        let (Some(export), Some(have)) = (
            target.module.get_export_index(name),
            target.module.get_export(name),
        ) else {
            return Err(unknown_import(module, name));
        };
        let kinds_match = match (&have, import.ty()) {
            (ExternType::Func(have), ExternType::Func(want)) => have.matches(&want),
            (ExternType::Memory(_), ExternType::Memory(_))
            | (ExternType::Global(_), ExternType::Global(_))
            | (ExternType::Table(_), ExternType::Table(_))
            | (ExternType::Tag(_), ExternType::Tag(_)) => true,
            _ => false,
        };
        if !kinds_match {
            return Err(incompatible_import(module, name));
        }
        if target.command && index != self.main {
            let ExternType::Func(ty) = have else {
                return Err(Error::msg(format!(
                    "`{module}::{name}` is not a function; only functions of command modules can be imported"
                )));
            };
            return Ok(Source::Command {
                module: index,
                name: name.to_owned(),
                ty,
            });
        }
        Ok(Source::Instance {
            module: index,
            export,
        })
    }

    /// Reactors (and main, when another module imports from it) in name order, each after
    /// the modules it imports from.
    fn link_order(&self, imports: &[Vec<Source>]) -> Result<Vec<usize>> {
        let mut names: Vec<usize> = (0..self.modules.len()).collect();
        names.sort_by(|a, b| self.modules[*a].name.cmp(&self.modules[*b].name));
        let mut order = Vec::new();
        let mut state = vec![Visit::New; self.modules.len()];
        for index in names {
            if index != self.main && !self.modules[index].command {
                self.visit(index, imports, &mut state, &mut order)?;
            }
        }
        Ok(order)
    }

    fn visit(
        &self,
        index: usize,
        imports: &[Vec<Source>],
        state: &mut [Visit],
        order: &mut Vec<usize>,
    ) -> Result<()> {
        match state[index] {
            Visit::Done => return Ok(()),
            Visit::Active => {
                return Err(Error::msg(format!(
                    "modules import each other in a cycle through `{}`",
                    self.modules[index].name
                )))
            }
            Visit::New => {}
        }
        state[index] = Visit::Active;
        for source in &imports[index] {
            if let Source::Instance { module, .. } = source {
                self.visit(*module, imports, state, order)?;
            }
        }
        state[index] = Visit::Done;
        order.push(index);
        Ok(())
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Visit {
    New,
    Active,
    Done,
}

fn unknown_import(module: &str, name: &str) -> Error {
    Error::msg(format!(
        "unknown import: `{module}::{name}` has not been defined"
    ))
}

fn incompatible_import(module: &str, name: &str) -> Error {
    Error::msg(format!("incompatible import type for `{module}::{name}`"))
}

/// Import validation for `extism:host/env` (docs/abi.md §6.6).
fn check_env_import(name: &str, ty: &ExternType) -> Result<()> {
    let kind = match ty {
        ExternType::Func(_) if ENV_FUNCTIONS.contains(&name) => return Ok(()),
        ExternType::Func(_) => "function",
        ExternType::Memory(_) | ExternType::Global(_)
            if name == "memory" || name.starts_with("extism_") =>
        {
            return Err(Error::msg(
                "linked modules cannot access non-function exports of extism kernel",
            ))
        }
        ExternType::Global(_) => "global",
        ExternType::Table(_) => "table",
        ExternType::Memory(_) => "memory",
        ExternType::Tag(_) => "tag",
    };
    Err(Error::msg(format!(
        "Invalid {kind} import from {ENV}: {name} {}\n\n{UPDATE_NOTE}",
        describe(ty)
    )))
}

fn describe(ty: &ExternType) -> String {
    match ty {
        ExternType::Func(f) => f.to_string(),
        ExternType::Global(g) => format!("{:?}", g.content()),
        ExternType::Table(t) => format!("{:?}", t.element()),
        ExternType::Memory(m) => format!("memory {} pages", m.minimum()),
        ExternType::Tag(_) => "tag".to_owned(),
    }
}

/// Creates a store for `plugin`: kernel, WASI context, and every module needed at link time.
/// Made from `template`, or, when `template`'s pool is full, from its on-demand sibling, which
/// is then returned too.
pub(crate) fn new_store(
    template: &Arc<PluginTemplate>,
    plugin: &Arc<PluginShared>,
) -> Result<(Option<Arc<PluginTemplate>>, Store<StoreData>)> {
    match store_for(template, plugin) {
        Err(err) if crate::pool::is_full(&err) => {
            let Some(sibling) = template.on_demand() else {
                return Err(err.into());
            };
            let sibling = sibling?;
            tracing::debug!(target: "extism::engine", plugin = ?plugin.id_string(), "instance pool full: allocating on demand");
            let store = store_for(&sibling, plugin)?;
            Ok((Some(sibling), store))
        }
        Err(err) => Err(err.into()),
        Ok(store) => Ok((None, store)),
    }
}

/// Creates a store for `plugin` from `template` alone.
pub(crate) fn store_for(
    template: &Arc<PluginTemplate>,
    plugin: &Arc<PluginShared>,
) -> wasmtime::Result<Store<StoreData>> {
    let settings = &template.settings;
    let wasi = if settings.with_wasi {
        Some(crate::wasi::context(settings)?)
    } else {
        None
    };
    let data = StoreData::new(Arc::clone(plugin), Arc::clone(settings), wasi);
    let mut store = Store::new(&template.runtime.engine, data);
    store.limiter(|data| &mut data.budget);
    store.epoch_deadline_callback(crate::timer::on_epoch);
    store.set_epoch_deadline(1);
    if let Some(fuel) = settings.fuel {
        store.set_fuel(fuel)?;
    }
    let kernel = template.runtime.kernel.instantiate(&mut store)?;
    let handles = KernelInstance::new(&mut store, &kernel)
        .ok_or_else(|| Error::msg("the kernel module lacks its memory or input globals"))?;
    let data = store.data_mut();
    data.kernel.attach(handles);
    data.kernel_instance = Some(kernel);
    data.instances = vec![None; template.modules.len()];
    let plan = template.plan(&mut store)?;
    for &index in &plan.at_link {
        if index == template.main {
            main_instance(&mut store, template)?;
        } else {
            let instance = instantiate(&mut store, template, plan, index)?;
            run_export(&mut store, instance, "_initialize")?;
        }
    }
    Ok(store)
}

/// Main's instance, instantiating and initialising it first if needed (docs/abi.md §6.4, §7.3).
pub(crate) fn main_instance(
    store: &mut Store<StoreData>,
    template: &Arc<PluginTemplate>,
) -> wasmtime::Result<Instance> {
    if let Some(instance) = store.data().instances[template.main] {
        return Ok(instance);
    }
    let plan = template.plan(store)?;
    store.data_mut().budget.start_counting();
    let instance = instantiate(&mut *store, template, plan, template.main)?;
    store.data_mut().budget.refill();
    guest_runtime_init(store, instance)?;
    Ok(instance)
}

/// Haskell (`_initialize` then `hs_init`), wasi-libc command (`__wasm_call_ctors`) or reactor
/// (`_initialize`) initialisation, whichever main exports.
fn guest_runtime_init(store: &mut Store<StoreData>, instance: Instance) -> wasmtime::Result<()> {
    if let Some(hs_init) = instance.get_func(&mut *store, "hs_init") {
        run_export(store, instance, "_initialize")?;
        let ty = hs_init.ty(&*store);
        let takes_two_i32 = ty.params().len() == 2
            && ty.params().all(|p| matches!(p, wasmtime::ValType::I32))
            && ty.results().len() == 0;
        if takes_two_i32 {
            hs_init
                .typed::<(i32, i32), ()>(&*store)?
                .call(&mut *store, (0, 0))?;
        }
        return Ok(());
    }
    if run_export(store, instance, "__wasm_call_ctors")? {
        return Ok(());
    }
    run_export(store, instance, "_initialize")?;
    Ok(())
}

/// Calls `name` if the instance exports it as `() -> ()`; returns whether it did. Absent or
/// differently typed exports are checked without building an error value.
fn run_export(
    store: &mut Store<StoreData>,
    instance: Instance,
    name: &str,
) -> wasmtime::Result<bool> {
    let Some(func) = instance.get_func(&mut *store, name) else {
        return Ok(false);
    };
    let ty = func.ty(&*store);
    if ty.params().len() != 0 || ty.results().len() != 0 {
        return Ok(false);
    }
    func.typed::<(), ()>(&*store)?.call(&mut *store, ())?;
    Ok(true)
}

fn instantiate(
    mut cx: impl AsContextMut<Data = StoreData>,
    template: &Arc<PluginTemplate>,
    plan: &Plan,
    index: usize,
) -> wasmtime::Result<Instance> {
    let mut cx = cx.as_context_mut();
    let module = &template.modules[index].module;
    let mut externs = Vec::with_capacity(plan.imports[index].len());
    for (import, source) in module.imports().zip(&plan.imports[index]) {
        externs.push(import_extern(&mut cx, template, import, source)?);
    }
    let instance = Instance::new(&mut cx, module, &externs)?;
    if !template.modules[index].command {
        cx.data_mut().instances[index] = Some(instance);
    }
    Ok(instance)
}

fn import_extern(
    cx: &mut wasmtime::StoreContextMut<'_, StoreData>,
    template: &Arc<PluginTemplate>,
    import: ImportType<'_>,
    source: &Source,
) -> wasmtime::Result<Extern> {
    let missing = || wasmtime::Error::msg(unknown_import(import.module(), import.name()));
    match source {
        Source::Kernel(export) => {
            let kernel = cx.data().kernel_instance.ok_or_else(missing)?;
            kernel
                .get_module_export(&mut *cx, export)
                .ok_or_else(missing)
        }
        Source::Host => template
            .linker
            .get_by_import(&mut *cx, &import)
            .ok_or_else(missing),
        Source::Instance { module, export } => {
            let instance = match cx.data().instances[*module] {
                Some(instance) => instance,
                None if *module == template.main => {
                    return Err(wasmtime::Error::msg(
                        "main must be linked before the modules that import from it",
                    ))
                }
                None => return Err(missing()),
            };
            instance
                .get_module_export(&mut *cx, export)
                .ok_or_else(missing)
        }
        Source::Command { module, name, ty } => {
            let (module, name) = (*module, name.clone());
            let template = Arc::clone(template);
            let func = Func::new(&mut *cx, ty.clone(), move |mut caller, params, results| {
                let plan = template.plan.get().and_then(|p| p.as_ref().ok());
                let plan = plan.ok_or_else(|| wasmtime::Error::msg("plugin is not linked"))?;
                let instance = instantiate(&mut caller, &template, plan, module)?;
                let func = instance
                    .get_func(&mut caller, &name)
                    .ok_or_else(|| wasmtime::Error::msg(format!("missing export `{name}`")))?;
                func.call(&mut caller, params, results)
            });
            Ok(Extern::Func(func))
        }
    }
}
