@testable import LandlordCore
