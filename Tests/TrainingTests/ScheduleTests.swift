// Evaluation schedules: log (dense early, sparse late) and linear.
import XCTest
import Training

final class ScheduleTests: XCTestCase {
    func testLogScheduleIsDenseEarlySparseLate() {
        let s = evaluationSteps(.log, maxSteps: 10_000, points: 100)
        XCTAssertEqual(s.first, 0); XCTAssertEqual(s.last, 10_000)
        XCTAssertEqual(s, s.sorted()); XCTAssertEqual(Set(s).count, s.count)
        XCTAssertTrue(s.contains(1) && s.contains(2) && s.contains(10))
        XCTAssertLessThanOrEqual(s.count, 101)
        XCTAssertGreaterThan(s.filter { $0 <= 100 }.count, s.filter { $0 > 1000 }.count / 2)
    }

    func testLinearSchedule() {
        XCTAssertEqual(evaluationSteps(.linear, maxSteps: 100, points: 4), [0, 25, 50, 75, 100])
        XCTAssertEqual(evaluationSteps(.linear, maxSteps: 10, points: 3), [0, 4, 8, 10])
    }
}
