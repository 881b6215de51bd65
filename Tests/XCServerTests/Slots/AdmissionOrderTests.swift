import Foundation
import Testing
import XCModels

@testable import XCServerKit

/// The admission order is one rule (`AdmissionOrder`): the store's SQL and the slot core's comparator
/// must put the same accounts in the same order, ties on priority included.
@Suite("Admission order: the store's SQL and the slot core agree")
struct AdmissionOrderTests {
    @Test func storeOrderIsTheSlotCoreOrder() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xcserver-order-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try Store(path: directory.appendingPathComponent("order.sqlite").path)
        // Inserted out of order: ids 1…6 with priorities that tie and that a plain id order gets wrong.
        for (index, priority) in [0, 5, 2, 5, 0, 9].enumerated() {
            try await store.addAccount(Account(name: "acct\(index)", baseURL: "http://127.0.0.1:1", username: "u",
                                               password: "p", priority: priority))
        }
        let fromStore = try await store.accounts()
        let candidates = fromStore.reversed().map {
            SlotCandidate(accountID: $0.id!, accountName: $0.name, relationID: 1, priority: $0.priority)
        }
        let fromSlotCore = candidates.sorted(by: SlotCandidate.admissionOrder).map(\.accountID)
        #expect(fromStore.map(\.id!) == fromSlotCore)
        #expect(fromStore.map(\.priority) == [9, 5, 5, 2, 0, 0])
        #expect(fromStore.map(\.id!) == [6, 2, 4, 3, 1, 5])
    }

    @Test func sameAccountFallsBackToTheRelation() {
        let a = SlotCandidate(accountID: 1, accountName: "A", relationID: 7, priority: 3)
        let b = SlotCandidate(accountID: 1, accountName: "A", relationID: 4, priority: 3)
        #expect(AdmissionOrder.precedes(priority: 3, accountID: 1, otherPriority: 3, otherID: 1) == nil)
        #expect([a, b].sorted(by: SlotCandidate.admissionOrder).map(\.relationID) == [4, 7])
    }
}
