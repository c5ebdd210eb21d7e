import XCTest
final class PlaceholderAnalysisTests: XCTestCase {}
