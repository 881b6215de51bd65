import AsyncHTTPClient
import Foundation
import Testing

@testable import FixtureProvider

@Suite struct APITests {
    @Test func authWithPercentEncodedPassword() async throws {
        try await withProvider { provider in
            let url = provider.apiURL(username: alphaUser, password: alphaPass)
            #expect(url.contains("password=a%2Bb%26c%2Fd%20e"))
            let answer = try await fetch(url)
            #expect(answer.status == 200)
            let root = try #require(try answer.json() as? [String: Any])
            let user = try #require(root["user_info"] as? [String: Any])
            #expect(user["auth"] as? Int == 1)
            #expect(user["username"] as? String == "alpha")
            #expect(user["password"] as? String == alphaPass)
            #expect(user["status"] as? String == "Active")
            #expect(user["max_connections"] as? String == "1")
            #expect(user["active_cons"] as? String == "0")
            #expect(user["exp_date"] as? String == "1798761600")
            let server = try #require(root["server_info"] as? [String: Any])
            #expect(server["port"] as? String == String(provider.port))
            #expect(server["url"] as? String == "127.0.0.1")
            #expect(provider.stats(for: alphaUser).apiRequests[""] == 1)

            let beta = try await fetch(provider.apiURL(username: betaUser, password: betaPass))
            let betaUserInfo = try #require((try beta.json() as? [String: Any])?["user_info"] as? [String: Any])
            #expect(betaUserInfo["max_connections"] as? String == "2")
        }
    }

    @Test func badCredentialsAnswerAuthZero() async throws {
        try await withProvider { provider in
            let wrong = try await fetch(provider.apiURL(username: alphaUser, password: "nope"))
            #expect(wrong.status == 200)
            #expect(wrong.text == #"{"user_info":{"auth":0}}"#)
            // Not percent-encoded: '+' becomes a space and '&' ends the value, as PHP reads it.
            let raw = try await fetch("\(provider.baseURL)/player_api.php?username=alpha&password=a+b%26c%2Fd%20e")
            #expect(raw.text == #"{"user_info":{"auth":0}}"#)
            let unknown = try await fetch(provider.apiURL(username: "nobody", password: "x", action: "get_vod_streams"))
            #expect(unknown.text == #"{"user_info":{"auth":0}}"#)
            // Lists are not served without credentials either.
            let list = try await fetch(provider.apiURL(username: alphaUser, password: "nope", action: "get_vod_streams"))
            #expect(list.text == #"{"user_info":{"auth":0}}"#)
        }
    }

    @Test func postWithFormBodyAnswersLikeGet() async throws {
        try await withProvider { provider in
            let form = "username=alpha&password=\(FixtureProvider.percentEncode(alphaPass))&action=get_vod_categories"
            let answer = try await fetch(
                "\(provider.baseURL)/player_api.php", method: .POST,
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: form)
            #expect(answer.status == 200)
            #expect(answer.body == (try fixtureFile("alpha/get_vod_categories.json")))
        }
    }

    @Test(arguments: ["alpha", "beta"])
    func listActionsAnswerTheRawFileBytes(account: String) async throws {
        try await withProvider { provider in
            let password = account == "alpha" ? alphaPass : betaPass
            for action in ["get_vod_categories", "get_vod_streams", "get_series_categories", "get_series", "get_live_categories",
                           "get_live_streams"] {
                let answer = try await fetch(provider.apiURL(username: account, password: password, action: action))
                #expect(answer.status == 200, "\(action)")
                #expect(answer.header("Content-Type") == "application/json")
                #expect(answer.body == (try fixtureFile("\(account)/\(action).json")), "\(action)")
            }
            for action in ["no_such_action"] {
                let answer = try await fetch(provider.apiURL(username: account, password: password, action: action))
                #expect(answer.text == "[]", "\(action)")
            }
            let epg = try await fetch(provider.apiURL(username: account, password: password, action: "get_short_epg", [("stream_id", "1")]))
            #expect(epg.text == #"{"epg_listings":[]}"#)
            let stats = provider.stats(for: account)
            #expect(stats.apiRequests["get_vod_streams"] == 1)
            #expect(stats.apiRequests["get_live_streams"] == 1)
            #expect(stats.apiLog.count == 8)
        }
    }

    @Test func seriesInfoAndVodInfo() async throws {
        try await withProvider { provider in
            for id in [501, 502, 503] {
                let answer = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series_info", [("series_id", String(id))]))
                #expect(answer.body == (try fixtureFile("alpha/series_info/\(id).json")))
            }
            let beta = try await fetch(provider.apiURL(username: betaUser, password: betaPass, action: "get_series_info", [("series_id", "601")]))
            #expect(beta.body == (try fixtureFile("beta/series_info/601.json")))
            // Another account's series is unknown here: PHP empty arrays where objects belong.
            let unknown = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series_info", [("series_id", "601")]))
            #expect(unknown.text == #"{"seasons":[],"info":[],"episodes":[]}"#)
            let missing = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series_info"))
            #expect(missing.text == #"{"seasons":[],"info":[],"episodes":[]}"#)

            let matrix = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_vod_info", [("vod_id", "10001")]))
            #expect(matrix.body == (try fixtureFile("alpha/vod_info/10001.json")))
            // No vod_info file: synthesized from the list item.
            let heat = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_vod_info", [("vod_id", "10005")]))
            let heatRoot = try #require(try heat.json() as? [String: Any])
            let movieData = try #require(heatRoot["movie_data"] as? [String: Any])
            #expect(movieData["stream_id"] as? Int == 10005)
            #expect((heatRoot["info"] as? [String: Any])?["name"] as? String == "Heat (1995)")
            let none = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_vod_info", [("vod_id", "99999")]))
            #expect(none.text == "[]")
            #expect(provider.stats(for: alphaUser).apiRequests["get_series_info"] == 5)
            #expect(provider.stats(for: alphaUser).apiLog.first?.parameters["series_id"] == "501")
        }
    }

    @Test func pathPrefix() async throws {
        try await withProvider(pathPrefix: "/panel/xc/") { provider async throws in
            #expect(provider.pathPrefix == "/panel/xc")
            #expect(provider.baseURL == "http://127.0.0.1:\(provider.port)/panel/xc")
            let answer = try await fetch(provider.apiURL(username: alphaUser, password: alphaPass, action: "get_series"))
            #expect(answer.body == (try fixtureFile("alpha/get_series.json")))
            let root = try await fetch("http://127.0.0.1:\(provider.port)/player_api.php?username=alpha&password=x")
            #expect(root.status == 404)
            let stream = try await fetch(provider.streamURL(username: alphaUser, password: alphaPass, streamID: 10001), headers: [("Range", "bytes=0-9")])
            #expect(stream.status == 206)
            #expect(stream.body.count == 10)
            let outside = try await fetch("http://127.0.0.1:\(provider.port)/movie/alpha/\(FixtureProvider.percentEncode(alphaPass))/10001.mkv")
            #expect(outside.status == 404)
        }
    }

    @Test func startFailsOnABusyPortAndStopIsIdempotent() async throws {
        try await withProvider { provider async throws in
            await #expect(throws: (any Error).self) {
                let second = try await FixtureProvider.start(accounts: [try .alpha()], port: provider.port)
                await second.stop()
            }
            // The first one still answers.
            #expect(try await fetch(provider.apiURL(username: alphaUser, password: alphaPass)).status == 200)
        }
    }
}
