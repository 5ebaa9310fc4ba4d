//! The questions the benchmarks send: two topic commands, three answerable questions and one the
//! article does not cover (shared by `answer` and `e2e`, so both measure the same mix).

pub const MIX: &[&str] = &[
    "/tariffs",
    "who attended the talks?",
    "what tariff does beijing charge on american goods",
    "what is the weather in paris",
    "/claims",
    "how much of the world's rare earths does china mine",
];
