//! The widget back end mounted in an actix-web application, over an embedded sandbox: `cargo
//! run -p otp-widget --features actix --example actix`, then call the printed URL as the
//! vendor's widget does (`GET /otp/widget/{widgetId}`, `POST /otp/` …).

use actix_web::{App, HttpServer};
use otp_sandbox::{CODE_WIDGET, DEFAULT_TOKEN, Sandbox, SandboxConfig};
use otp_widget::WidgetBackend;

fn main() -> anyhow::Result<()> {
    // The sandbox and the client on a tokio runtime of their own; actix runs its own.
    let runtime = tokio::runtime::Runtime::new()?;
    let sandbox = runtime.block_on(Sandbox::start(SandboxConfig::default()))?;
    let client = otp_client::Client::builder(DEFAULT_TOKEN)
        .base_url(sandbox.base_url())
        .build()?;
    let widget = WidgetBackend::builder(client, [CODE_WIDGET])
        .secure_cookie(false) // served over plain http
        .build()?;
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(move || App::new().configure(widget.actix("/otp")))
            .bind(("127.0.0.1", 0))?;
        for addr in server.addrs() {
            println!("widget routes at http://{addr}/otp/widget/{CODE_WIDGET}");
        }
        server.run().await
    })?;
    drop(runtime);
    Ok(())
}
