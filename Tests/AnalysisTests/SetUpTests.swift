// GSL's aborting error handler is off after set-up, and GSL status codes become Swift errors.

import Analysis
import CGSL
import XCTest

final class SetUpTests: XCTestCase {
    func testErrorHandlerOffAndStatusTranslated() {
        Analysis.setUp()
        Analysis.setUp()   // idempotent
        // With GSL's default handler this call aborts the process (GSL_EDOM); after set-up it returns NaN.
        let v = gsl_cdf_beta_Pinv(1.5, 2, 3)
        XCTAssertTrue(v.isNaN)
        let e = AnalysisError.from(status: Int32(GSL_EDOM), context: "gsl_cdf_beta_Pinv")
        XCTAssertEqual(e, .gsl(status: Int32(GSL_EDOM), message: "input domain error", context: "gsl_cdf_beta_Pinv"))
        XCTAssertTrue(e.description.contains("input domain error"))
    }
}
