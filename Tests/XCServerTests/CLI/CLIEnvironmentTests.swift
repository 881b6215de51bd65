import Testing
@testable import XCServer

/// The CLI is the one reader of the environment; its defaults are what `--help` promises.
@Suite struct CLIEnvironmentTests {
    @Test func environmentGivesTheDefaultsOptionsOverride() {
        let set = CLIEnvironment(["XC_DB": "/srv/xc.sqlite", "LOG_LEVEL": "debug", "XC_ADMIN_TOKEN": "t0ken"])
        #expect(set.defaultDB == "/srv/xc.sqlite")
        #expect(set.defaultLogLevel == "debug")
        #expect(set.adminToken == "t0ken")

        let unset = CLIEnvironment([:])
        #expect(unset.defaultDB == "xcserver.sqlite")
        #expect(unset.defaultLogLevel == "info")
        #expect(unset.adminToken == nil)
    }

    @Test func tunablesDefaultToTodaysValues() {
        let config = ServerConfig()
        #expect(config.settle == .milliseconds(300))
        #expect(config.backoff == .seconds(30))
        #expect(config.openTimeout == .seconds(10))
        #expect(config.maxResumes == 3)
    }
}
