//! Lambda entry point of `listings`: build everything once per cold start, then serve.

use common::lambda::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let app = lambda::app(&lambda::aws().await).await?;
    lambda::serve("listings", &app, listings::router(app.clone())).await
}
