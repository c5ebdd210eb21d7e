import XCTest
final class PlaceholderTrainingTests: XCTestCase {}
