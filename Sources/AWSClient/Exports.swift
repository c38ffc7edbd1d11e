/// The HTTP types (`HTTPRequest`, `HTTPResponse`, `HTTPTransport`, `CurlTransport`,
/// `TransportError`) live in LandlordHTTP, shared with providers that are not AWS's; they are
/// re-exported so every `import AWSClient` keeps seeing them as before.
@_exported import LandlordHTTP
