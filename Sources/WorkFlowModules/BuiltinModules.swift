import WorkFlowEngine

/// The modules that ship with WorkFlow.
public enum BuiltinModules {
    /// Every built-in module, in the order `workflow modules` lists them.
    public static func all() -> [any Module] {
        [
            KtModule(),
            BashModule(),
            FilterModule(),
            DataTransformerModule(),
            FileIOModule(),
            MultiProcessModule(),
            HttpModule(),
            NotifyModule(),
            SshModule(),
        ]
    }

    /// A registry holding every built-in module.
    public static func registry() -> ModuleRegistry {
        ModuleRegistry(all())
    }
}
