// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IAavePoolSupply {
    function supply(address asset, uint256 amount, address onBehalfOf, uint16 referralCode) external;
}

interface IERC20Approve {
    function approve(address spender, uint256 amount) external returns (bool);
}

/// @notice Benchmark helper: supplies, through the real Aave Pool, on behalf of `count` fresh accounts
/// in one transaction, so that tens of thousands of accounts' real Pool events (Supply, collateral
/// enabled) cost a few dozen transactions. Account i of a seed is the last 20 bytes of keccak256(seed, i).
contract BulkSupplier {
    function supplyOnBehalf(address pool, address asset, uint256 amountEach, bytes32 seed, uint256 first, uint256 count) external {
        IERC20Approve(asset).approve(pool, amountEach * count);
        for (uint256 i = first; i < first + count; i++) {
            IAavePoolSupply(pool).supply(asset, amountEach, accountOf(seed, i), 0);
        }
    }

    function accountOf(bytes32 seed, uint256 i) public pure returns (address) {
        return address(uint160(uint256(keccak256(abi.encode(seed, i)))));
    }
}
