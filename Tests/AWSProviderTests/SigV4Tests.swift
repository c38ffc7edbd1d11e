import AWSClient
import Foundation
import Testing

/// The published AWS SigV4 test suite (credentials AKIDEXAMPLE, 2015-08-30T12:36:00Z,
/// us-east-1, service `service`): canonical request, string to sign and signature must match.
@Suite struct SigV4Tests {
    let signer = SigV4(
        credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
        region: "us-east-1", service: "service")
    let date = Date(timeIntervalSince1970: 1_440_938_160)  // 20150830T123600Z
    let scope = "AKIDEXAMPLE/20150830/us-east-1/service/aws4_request"

    func signed(_ request: HTTPRequest) -> (creq: String, sts: String, authorization: String) {
        var r = request
        r.setHeader("Host", "example.amazonaws.com")
        r.setHeader("X-Amz-Date", "20150830T123600Z")
        let creq = signer.canonicalRequest(r, payloadHash: SigV4.sha256Hex(r.body))
        let sts = signer.stringToSign(canonicalRequest: creq, amzDate: "20150830T123600Z")
        signer.sign(&r, date: date)
        return (creq, sts, r.header("Authorization") ?? "")
    }

    @Test func getVanilla() {
        let s = signed(HTTPRequest(method: "GET", host: "example.amazonaws.com", path: "/"))
        #expect(s.creq == "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n\(SigV4.emptyPayloadHash)")
        #expect(
            s.sts
                == "AWS4-HMAC-SHA256\n20150830T123600Z\n20150830/us-east-1/service/aws4_request\n"
                + "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63"
        )
        #expect(
            s.authorization
                == """
                AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host;x-amz-date, \
                Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31
                """
        )
    }

    @Test func getVanillaQueryOrderKeyCase() {
        let s = signed(HTTPRequest(method: "GET", host: "example.amazonaws.com", path: "/", query: [("Param2", "value2"), ("Param1", "value1")]))
        #expect(s.creq.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(2).first == "Param1=value1&Param2=value2")
        #expect(s.authorization.hasSuffix("Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"))
    }

    @Test func getVanillaQueryOrderKey() {
        let s = signed(HTTPRequest(method: "GET", host: "example.amazonaws.com", path: "/", query: [("Param1", "value2"), ("Param1", "Value1")]))
        #expect(
            s.creq
                == "GET\n/\nParam1=Value1&Param1=value2\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
                + "host;x-amz-date\n\(SigV4.emptyPayloadHash)"
        )
    }

    @Test func getUTF8() {
        let s = signed(HTTPRequest(method: "GET", host: "example.amazonaws.com", path: "/ሴ"))
        #expect(s.creq.hasPrefix("GET\n/%E1%88%B4\n\n"))
        #expect(
            s.authorization
                == """
                AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=host;x-amz-date, \
                Signature=8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85
                """
        )
    }

    @Test func postVanilla() {
        let s = signed(HTTPRequest(method: "POST", host: "example.amazonaws.com", path: "/"))
        #expect(s.authorization.hasSuffix("Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"))
    }

    @Test func postXWWWFormURLEncoded() {
        let s = signed(
            HTTPRequest(
                method: "POST", host: "example.amazonaws.com", path: "/",
                headers: [("Content-Type", "application/x-www-form-urlencoded")], body: Data("Param1=value1".utf8)))
        #expect(
            s.creq == """
                POST
                /

                content-type:application/x-www-form-urlencoded
                host:example.amazonaws.com
                x-amz-date:20150830T123600Z

                content-type;host;x-amz-date
                9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e
                """)
        #expect(
            s.sts == """
                AWS4-HMAC-SHA256
                20150830T123600Z
                20150830/us-east-1/service/aws4_request
                42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281
                """)
        #expect(
            s.authorization
                == """
                AWS4-HMAC-SHA256 Credential=\(scope), SignedHeaders=content-type;host;x-amz-date, \
                Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a
                """
        )
    }

    @Test func sessionTokenIsSignedAndSecretNeverDescribed() {
        let withToken = SigV4(
            credentials: AWSCredentials(accessKeyId: "AKID", secretAccessKey: "SECRETVALUE", sessionToken: "TOKEN"), region: "us-east-1",
            service: "ecs")
        var r = HTTPRequest(method: "POST", host: "ecs.us-east-1.amazonaws.com")
        withToken.sign(&r, date: date)
        #expect(r.header("X-Amz-Security-Token") == "TOKEN")
        #expect(r.header("Authorization")?.contains("x-amz-security-token") == true)
        #expect(!"\(withToken.credentials)".contains("SECRETVALUE"))
    }
}
