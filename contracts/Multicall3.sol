// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Multicall3 (aggregate3 subset)
/// @notice Batched reads with the ABI of the canonical Multicall3 deployed on mainnet at
/// 0xcA11bde05977b3631167028862bE2a173976CA11, so the keeper's reader works unchanged on
/// local chains (where this contract is deployed) and on live ones (where the canonical one is).
contract Multicall3 {
    struct Call3 {
        address target;
        bool allowFailure;
        bytes callData;
    }

    struct Result {
        bool success;
        bytes returnData;
    }

    error CallFailed(uint256 index, bytes returnData);

    /// @notice Runs every call; a failing call reverts the batch unless it allows failure.
    function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory results) {
        uint256 length = calls.length;
        results = new Result[](length);
        for (uint256 i = 0; i < length; ++i) {
            Call3 calldata c = calls[i];
            (bool ok, bytes memory data) = c.target.call(c.callData);
            if (!ok && !c.allowFailure) revert CallFailed(i, data);
            results[i] = Result(ok, data);
        }
    }

    function getBlockNumber() external view returns (uint256) {
        return block.number;
    }

    function getCurrentBlockTimestamp() external view returns (uint256) {
        return block.timestamp;
    }

    function getBlockHash(uint256 blockNumber) external view returns (bytes32) {
        return blockhash(blockNumber);
    }

    function getEthBalance(address account) external view returns (uint256) {
        return account.balance;
    }
}
