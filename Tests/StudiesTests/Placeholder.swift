import XCTest
final class PlaceholderStudiesTests: XCTestCase {}
