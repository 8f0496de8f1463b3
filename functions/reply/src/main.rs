//! Lambda entry point of `reply`: build everything once per cold start, then serve.

use common::lambda::{self, Error};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Error> {
    lambda::init_tracing();
    let app = lambda::app(&lambda::aws().await).await?;
    lambda::serve("reply", &app, reply::router(app.clone())).await
}
