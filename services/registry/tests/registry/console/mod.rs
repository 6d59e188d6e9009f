//! The operators' console, tested in a real headless Chromium.

mod browser;
mod demo;
mod pages;
mod plan;
mod setup;
