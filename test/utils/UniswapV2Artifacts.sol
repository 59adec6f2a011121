// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Vm} from "forge-std/Vm.sol";

/// @title UniswapV2Artifacts
/// @notice Deploys Uniswap v2's own contracts from the build artifacts its npm packages ship
/// (npm `v2-core` 1.0.1 and `v2-periphery` 1.1.0-beta.0 of Uniswap, pinned in scripts/package.json): the bytecode
/// Uniswap compiled and deployed, never recompiled here. The artifacts are waffle's JSON, whose top-level
/// `bytecode` is hex without `0x` (forge's `vm.getCode` refuses them: they also carry `evm.bytecode`).
library UniswapV2Artifacts {
    string internal constant FACTORY = "scripts/node_modules/@uniswap/v2-core/build/UniswapV2Factory.json";
    string internal constant ROUTER = "scripts/node_modules/@uniswap/v2-periphery/build/UniswapV2Router02.json";
    string internal constant WETH = "scripts/node_modules/@uniswap/v2-periphery/build/WETH9.json";

    /// @notice Deploys the artifact at `path` with ABI-encoded constructor arguments `args`, from the caller.
    function deploy(Vm vm, string memory path, bytes memory args) internal returns (address deployed) {
        string memory hexCode = vm.parseJsonString(vm.readFile(path), ".bytecode");
        bytes memory code = bytes.concat(vm.parseBytes(string.concat("0x", hexCode)), args);
        assembly ("memory-safe") {
            deployed := create(0, add(code, 0x20), mload(code))
        }
        require(deployed != address(0), string.concat("deployment failed: ", path));
    }
}
