//! What `cargo xtask test` hands the end-to-end tests through the environment.

use std::sync::OnceLock;

/// The running Worker the tests talk to.
#[derive(Debug, Clone)]
pub struct TestEnv {
    /// e.g. `http://127.0.0.1:41234`
    pub url: String,
    pub operator_token: String,
    /// The seeded demo shop's secret key.
    pub demo_key: String,
    /// The local state directory of that Worker (to run SQL against it).
    pub persist: String,
    /// The origin a shop's own site is served on in the widget tests (another port,
    /// allowed for the demo shop), e.g. `http://127.0.0.1:41235`.
    pub shop_site: String,
}

/// The environment, or a panic that says how to run these tests.
pub fn get() -> &'static TestEnv {
    static ENV: OnceLock<TestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let var = |name: &str| {
            std::env::var(name).unwrap_or_else(|_| {
                panic!("{name} is not set: the end-to-end tests need the built Worker running; run `cargo xtask test`")
            })
        };
        TestEnv {
            url: var("RESTOCK_URL"),
            operator_token: var("RESTOCK_OPERATOR_TOKEN"),
            demo_key: var("RESTOCK_DEMO_KEY"),
            persist: var("RESTOCK_PERSIST"),
            shop_site: var("RESTOCK_SHOP_SITE"),
        }
    })
}
