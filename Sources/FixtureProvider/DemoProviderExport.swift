/// Tests and the benchmark import FixtureProvider alone and see what it builds on (FixtureCatalog,
/// FixtureLive, FixtureHLS, LiveTS, EmbeddedFixtures, DemoAccount...), as before the split (docs/providers.md).
@_exported import DemoProvider
