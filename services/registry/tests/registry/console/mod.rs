//! The operators' console, tested in a real headless Chromium.

mod browser;
mod demo;
mod docs;
mod pages;
mod plan;
mod setup;
mod sign_in;
