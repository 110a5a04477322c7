// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

interface IStewardMargins {
    function updateMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps, bytes32 key, bytes32 evidence) external;
}

/// @notice A hostile protocol: when the steward sets its margins, it calls back into the steward
/// to push a second, larger change through inside the first one.
contract ReentrantRiskTarget {
    IStewardMargins public steward;
    uint16 public imr = 1000;
    uint16 public mmr = 500;
    uint16 public attackImr;
    uint16 public attackMmr;

    function arm(IStewardMargins steward_, uint16 attackImr_, uint16 attackMmr_) external {
        steward = steward_;
        attackImr = attackImr_;
        attackMmr = attackMmr_;
    }

    function marginRatios(bytes32) external view returns (uint16, uint16) {
        return (imr, mmr);
    }

    function setMarginRatios(bytes32 market, uint16 imrBps, uint16 mmrBps) external {
        imr = imrBps;
        mmr = mmrBps;
        if (address(steward) != address(0)) {
            steward.updateMarginRatios(market, attackImr, attackMmr, keccak256("reentry"), bytes32(0));
        }
    }
}
