// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The deployment's governance is OpenZeppelin's own TimelockController, deployed unchanged: it holds the
// oracle's admin role and owns the demo vault, so every change of a model, feed, committee or pin is scheduled
// in public and executes only after its delay (a guardian with CANCELLER_ROLE can stop it meanwhile).
// Importing it here makes the build write its artifact (out/TimelockController.sol/TimelockController.json),
// which the Rust deployment (oracle/chain: deploy_stack) and the tests deploy.
import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";
