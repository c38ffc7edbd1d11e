import ProviderAPI

/// Stripe's error answers as diagnostics that say what to do next.
enum StripeDiagnostics {
    /// The blueprint attribute a Stripe parameter belongs to (`metadata[plan]` -> `metadata`).
    static func attribute(_ param: String?) -> String? {
        guard let param, !param.isEmpty else { return nil }
        return param.firstIndex(of: "[").map { String(param[..<$0]) } ?? param
    }

    static func diagnostic(_ e: StripeError, action: String, subject: String, keyVariable: String) -> ProviderDiagnostic {
        let summary = "could not \(action) \(subject): \(e.message)"
        let next: String
        switch (e.status, e.type, e.code) {
        case (0, _, _):
            next =
                """
                no answer from Stripe after retrying; check provider.stripe.apiBase in platform.yaml and the \
                network, then run apply again (a create is sent with the same Idempotency-Key, so it is never made \
                twice)
                """
        case (401, _, _):
            next = "Stripe refused the API key; set \(keyVariable) to a valid secret key (sk_...) of this Stripe account"
        case (403, _, _):
            next = "the API key may not do this; use a secret key, or a restricted key with write access to Customers, in \(keyVariable)"
        case (404, _, _):
            next = "the customer no longer exists in Stripe; run plan to see the drift, then apply to create it again"
        case (429, _, _):
            next = "Stripe kept rate-limiting after retries; run apply again later or with a lower --parallelism"
        case (_, "idempotency_error", _):
            next =
                """
                Stripe saw this Idempotency-Key with other parameters (an interrupted create whose inputs then \
                changed); run apply again, which adopts the customer by its landlord:address metadata
                """
        case (let s, _, _) where s >= 500:
            next = "Stripe failed (HTTP \(s)) on every retry; run apply again (what was done is recorded)"
        default:
            if let attr = attribute(e.param) {
                next = "Stripe rejected `\(e.param ?? attr)`; fix `\(attr)` in the blueprint and run apply again"
            } else {
                next = "fix the request's cause and run apply again"
            }
        }
        return .error(
            summary, detail: next, attribute: attribute(e.param), code: e.code ?? e.type, retryable: e.isRetryable && e.status != 0)
    }
}
