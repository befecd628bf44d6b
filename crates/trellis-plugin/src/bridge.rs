pub struct PluginFactory; pub struct PluginProvider;
