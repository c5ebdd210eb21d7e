// The rise and fall of a trial's validation loss (an epoch-wise double descent of the loss), against
// values worked out by hand.
import XCTest
import Studies
import Evaluation

final class ValidationLossBumpTests: XCTestCase {
    func curve(_ values: [Double]) -> TrialCurve {
        TrialCurve(columns: ["step", "val_loss"], rows: values.enumerated().map { [Double($0.offset * 10), $0.element] })
    }

    /// A loss that rises from the start by 5.4 and falls by 8.5 (the grokking shape): top at step 30.
    func testARiseAndFallIsFound() throws {
        let b = try XCTUnwrap(EpochWise.validationLossBump(curve([3.1, 4, 6, 8.5, 7, 3, 0.1, 0.05])))
        XCTAssertEqual(b.step, 30)
        XCTAssertEqual(b.bump.rise, 5.4, accuracy: 1e-12)
        XCTAssertEqual(b.bump.fall, 8.45, accuracy: 1e-12)
        XCTAssertEqual(b.bump.prominence, 5.4, accuracy: 1e-12)
        // A fall first: the rise counts from the lowest value before the top (2.5), not from the start.
        let dipped = try XCTUnwrap(EpochWise.validationLossBump(curve([3, 2.5, 3.5, 4.5, 2, 1.5])))
        XCTAssertEqual(dipped.step, 30)
        XCTAssertEqual(dipped.bump.rise, 2, accuracy: 1e-12)
        XCTAssertEqual(dipped.bump.fall, 3, accuracy: 1e-12)
        // Empty cells are skipped: the top moves one row along with them.
        XCTAssertEqual(try XCTUnwrap(EpochWise.validationLossBump(curve([3, .nan, 2.5, 3.5, 4.5, 2, 1.5]))).step, 40)
    }

    /// A loss that only falls, or only rises, or whose bump is below 0.05 nats, has none.
    func testNoBumpWithoutARiseAndAFall() {
        XCTAssertNil(EpochWise.validationLossBump(curve([3, 2, 1.5, 1, 0.5])))
        XCTAssertNil(EpochWise.validationLossBump(curve([1, 2, 3, 4, 5])))
        XCTAssertNil(EpochWise.validationLossBump(curve([3, 3.02, 3.04, 3.0])))    // rise 0.04 < 0.05
    }
}
