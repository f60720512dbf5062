"""sPyNNaker's hardware devices: names that exist so that scripts fail clearly, not oddly.

Each name is a class whose use (calling it, or reading one of its attributes, as scripts
do with the PushBot parameter enums) raises :class:`HardwareDeviceError` saying what the
device needs and what spinstream offers instead.
"""

from __future__ import annotations

from typing import Any, NoReturn

__all__ = [
    "ArbitraryFPGADevice",
    "EthernetControlPopulation",
    "EthernetSensorPopulation",
    "ExternalDeviceLifControl",
    "ExternalFPGARetinaDevice",
    "HardwareDeviceError",
    "ICUBRetinaDevice",
    "MunichIoSpiNNakerLinkProtocol",
    "MunichMotorDevice",
    "MunichRetinaDevice",
    "PushBotEthernetLEDDevice",
    "PushBotEthernetLaserDevice",
    "PushBotEthernetMotorDevice",
    "PushBotEthernetRetinaDevice",
    "PushBotEthernetSpeakerDevice",
    "PushBotLED",
    "PushBotLaser",
    "PushBotLifEthernet",
    "PushBotLifSpinnakerLink",
    "PushBotMotor",
    "PushBotRetinaResolution",
    "PushBotRetinaViewer",
    "PushBotSpeaker",
    "PushBotSpiNNakerLinkLEDDevice",
    "PushBotSpiNNakerLinkLaserDevice",
    "PushBotSpiNNakerLinkMotorDevice",
    "PushBotSpiNNakerLinkRetinaDevice",
    "PushBotSpiNNakerLinkSpeakerDevice",
    "SPIFInputDevice",
    "SPIFLiveSpikesConnection",
    "SPIFOutputDevice",
    "SPIFRetinaDevice",
    "protocols",
]

_INSTEAD = (
    "spinstream runs without SpiNNaker hardware.  For live spikes use SpikeInjector, "
    "activate_live_output_for and SpynnakerLiveSpikesConnection (UDP, no board needed); "
    "for a simulated robot see spinstream.demos"
)


class HardwareDeviceError(NotImplementedError):
    """A device of ``sim.external_devices`` that needs SpiNNaker hardware was used."""


class _Refuse(type):
    def _refuse(cls, how: str) -> NoReturn:
        raise HardwareDeviceError(
            f"external_devices.{cls.__name__}{how}: {cls._needs} ({cls.__doc__}); {_INSTEAD}"
        )

    def __call__(cls, *args: Any, **kwargs: Any) -> NoReturn:
        cls._refuse("(...)")

    def __getattr__(cls, name: str) -> NoReturn:
        if name.startswith("_"):  # tools probing private names get the usual answer
            raise AttributeError(name)
        cls._refuse(f".{name}")


def _device(name: str, needs: str, what: str) -> type:
    return _Refuse(name, (), {"__doc__": what, "_needs": needs, "__module__": __name__})


_LINK = "needs a device wired to a SpiNNaker link of a board"
_SPIF = "needs a SPIF board (SpiNNaker peripheral interface)"
_ETH = "needs a PushBot robot reached through a board's Ethernet"
_ANY = "needs a SpiNNaker board"

ArbitraryFPGADevice = _device("ArbitraryFPGADevice", _LINK, "an FPGA on a SpiNNaker link")
ExternalFPGARetinaDevice = _device("ExternalFPGARetinaDevice", _LINK, "an FPGA retina")
MunichRetinaDevice = _device("MunichRetinaDevice", _LINK, "a Munich retina")
MunichMotorDevice = _device("MunichMotorDevice", _LINK, "a Munich motor board")
MunichIoSpiNNakerLinkProtocol = _device(
    "MunichIoSpiNNakerLinkProtocol", _LINK, "the Munich robots' SpiNNaker-link protocol"
)
ExternalDeviceLifControl = _device(
    "ExternalDeviceLifControl", _ANY, "LIF neurons that command an external device"
)
PushBotRetinaViewer = _device("PushBotRetinaViewer", _ETH, "a PushBot retina viewer")
PushBotLifEthernet = _device("PushBotLifEthernet", _ETH, "PushBot control neurons")
PushBotEthernetLaserDevice = _device("PushBotEthernetLaserDevice", _ETH, "a PushBot laser")
PushBotEthernetLEDDevice = _device("PushBotEthernetLEDDevice", _ETH, "a PushBot LED")
PushBotEthernetMotorDevice = _device("PushBotEthernetMotorDevice", _ETH, "a PushBot motor")
PushBotEthernetSpeakerDevice = _device("PushBotEthernetSpeakerDevice", _ETH, "a PushBot speaker")
PushBotEthernetRetinaDevice = _device("PushBotEthernetRetinaDevice", _ETH, "a PushBot retina")
PushBotLifSpinnakerLink = _device("PushBotLifSpinnakerLink", _LINK, "PushBot control neurons")
PushBotSpiNNakerLinkLaserDevice = _device(
    "PushBotSpiNNakerLinkLaserDevice", _LINK, "a PushBot laser"
)
PushBotSpiNNakerLinkLEDDevice = _device("PushBotSpiNNakerLinkLEDDevice", _LINK, "a PushBot LED")
PushBotSpiNNakerLinkMotorDevice = _device(
    "PushBotSpiNNakerLinkMotorDevice", _LINK, "a PushBot motor"
)
PushBotSpiNNakerLinkSpeakerDevice = _device(
    "PushBotSpiNNakerLinkSpeakerDevice", _LINK, "a PushBot speaker"
)
PushBotSpiNNakerLinkRetinaDevice = _device(
    "PushBotSpiNNakerLinkRetinaDevice", _LINK, "a PushBot retina"
)
PushBotLaser = _device("PushBotLaser", _ETH, "PushBot laser parameters")
PushBotLED = _device("PushBotLED", _ETH, "PushBot LED parameters")
PushBotMotor = _device("PushBotMotor", _ETH, "PushBot motor parameters")
PushBotSpeaker = _device("PushBotSpeaker", _ETH, "PushBot speaker parameters")
PushBotRetinaResolution = _device("PushBotRetinaResolution", _ETH, "PushBot retina resolutions")
SPIFRetinaDevice = _device("SPIFRetinaDevice", _SPIF, "a retina on SPIF")
SPIFOutputDevice = _device("SPIFOutputDevice", _SPIF, "spike output through SPIF")
SPIFInputDevice = _device("SPIFInputDevice", _SPIF, "spike input through SPIF")
SPIFLiveSpikesConnection = _device("SPIFLiveSpikesConnection", _SPIF, "live spikes through SPIF")
ICUBRetinaDevice = _device("ICUBRetinaDevice", _SPIF, "an iCub retina")
EthernetControlPopulation = _device(
    "EthernetControlPopulation", _ETH, "neurons that control an Ethernet device"
)
EthernetSensorPopulation = _device(
    "EthernetSensorPopulation", _ETH, "an Ethernet sensor as a population"
)
protocols = _device("protocols", _LINK, "sPyNNaker's device protocols")
