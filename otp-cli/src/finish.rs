//! `otp finish --requestId … --phone …`: the server-side last step, as a script should take
//! it: exit 0, with the proof, only when the service confirms the session for that phone.

use clap::{Arg, ArgMatches, Command};
use otp_client::RequestId;

use crate::{Exit, Failure, config, output};

pub(crate) fn command() -> Command {
    Command::new("finish")
        .about("Finishes a session on the server side: exit 0 with a proof only when it is confirmed for this phone")
        .long_about(
            "Finishes a session on the server side (checkStatusAndComplete, read as the SDK's `finish` reads it): prints a proof and exits 0 only when the service confirms the session for this phone number. A session that is not confirmed exits 6; any other failure exits as every subcommand's does (3 the service's error, 4 the service unreachable or the answer lost): grant nothing on any of them. Use it where a script grants access: `otp finish … && grant`.",
        )
        .arg(
            Arg::new("requestId")
                .long("requestId")
                .required(true)
                .value_parser(clap::value_parser!(RequestId))
                .help("The session's id, as send returned it"),
        )
        .arg(
            Arg::new("phone")
                .long("phone")
                .required(true)
                .help("The phone number the session was started for"),
        )
}

pub(crate) async fn run(global: &ArgMatches, matches: &ArgMatches) -> Exit {
    let client = match config::client(global) {
        Ok(client) => client,
        Err(failure) => return output::failure(&failure),
    };
    let (Some(id), Some(phone)) = (
        matches.get_one::<RequestId>("requestId"),
        matches.get_one::<String>("phone"),
    ) else {
        return Exit::Usage;
    };
    match client.finish(id, phone).await {
        Ok(verified) => {
            output::proof(global, &verified);
            Exit::Ok
        }
        Err(e) => output::failure(&Failure::Call(e)),
    }
}
