// synack benchmark peer: the same bulk transfer as `bench/sim-vs-ns3.sh` runs in
// synack, simulated by ns-3 (Debian's ns3 / libns3-dev 3.37 packages).
//
// Two nodes, one point-to-point link (1 Gbps, 10 ms each way: RTT 20 ms),
// TcpNewReno, MSS 1460 (SegmentSize 1460, or 1448 with timestamps), a BulkSendApplication of --bytes (MaxBytes) on
// the client, a PacketSink on the server, and a RateErrorModel on the server's
// device that drops --loss of the packets it receives: random loss on the
// client->server direction only. Simulator::Run runs until no event is left.
//
// It prints key=value lines: segments put on the link (both directions,
// retransmissions and packets the error model then drops included, counted at
// PhyTxBegin on both devices), drops, bytes received, simulated end time and
// the wall time of Simulator::Run alone.
//
// --profile=rfc approximates synack's rfc profile (ACK every segment, initial
// cwnd 3, no SACK, no timestamps, 65535-byte receive buffer, no window
// scaling); --profile=linux approximates the linux profile (delayed ACK 40 ms
// / every second segment, initial cwnd 10, SACK, timestamps, 131072-byte
// buffers).
//
// Build: g++ -O2 -std=c++17 bulk.cc -o bulk $(pkg-config --cflags --libs
//   ns3-core ns3-network ns3-internet ns3-point-to-point ns3-applications)

#include "ns3/applications-module.h"
#include "ns3/core-module.h"
#include "ns3/internet-module.h"
#include "ns3/network-module.h"
#include "ns3/point-to-point-module.h"

#include <chrono>
#include <cstdint>
#include <iostream>
#include <string>

using namespace ns3;

namespace
{
uint64_t g_segments[2] = {0, 0}; // put on the link by the client, by the server
uint64_t g_dropped = 0;
uint64_t g_payload_segments = 0;
double g_last_rx_s = 0;

void
OnPhyTxBegin(uint32_t side, Ptr<const Packet>)
{
    ++g_segments[side];
}

void
OnPhyRxDrop(Ptr<const Packet>)
{
    ++g_dropped;
}

void
OnSinkRx(Ptr<const Packet>, const Address&)
{
    ++g_payload_segments;
    g_last_rx_s = Simulator::Now().GetSeconds();
}
} // namespace

int
main(int argc, char* argv[])
{
    uint64_t bytes = 100000000;
    double loss = 0.01;
    uint32_t seed = 7;
    std::string profile = "linux";

    CommandLine cmd(__FILE__);
    cmd.AddValue("bytes", "Bytes the client sends (BulkSend MaxBytes)", bytes);
    cmd.AddValue("loss", "Packet loss rate on client->server (0.01 = 1%)", loss);
    cmd.AddValue("seed", "RNG run number", seed);
    cmd.AddValue("profile", "rfc or linux: TCP options approximating synack's profiles", profile);
    cmd.Parse(argc, argv);
    if (profile != "rfc" && profile != "linux")
    {
        std::cerr << "bulk: --profile must be rfc or linux, not " << profile << "\n";
        return 2;
    }

    RngSeedManager::SetSeed(1);
    RngSeedManager::SetRun(seed);

    Config::SetDefault("ns3::TcpL4Protocol::SocketType", TypeIdValue(TcpNewReno::GetTypeId()));
    uint32_t segmentSize = 1460;
    if (profile == "rfc")
    {
        // MSS 1460 and no timestamps: 1460 payload bytes fill a 1500-byte MTU.
        Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(segmentSize));
        Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(false));
        Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(1));
        Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(3));
        Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(false));
        Config::SetDefault("ns3::TcpSocketBase::WindowScaling", BooleanValue(false));
        Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(65535));
        Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(65535));
    }
    else
    {
        // MSS 1460 with timestamps: 12 option bytes in every segment leave
        // 1448 payload bytes, as Linux (and synack's linux profile) send. ns-3
        // does not subtract option space itself; with SegmentSize 1460 its IP
        // layer would fragment every full segment.
        segmentSize = 1448;
        Config::SetDefault("ns3::TcpSocket::SegmentSize", UintegerValue(segmentSize));
        Config::SetDefault("ns3::TcpSocketBase::Timestamp", BooleanValue(true));
        Config::SetDefault("ns3::TcpSocket::DelAckCount", UintegerValue(2));
        Config::SetDefault("ns3::TcpSocket::DelAckTimeout", TimeValue(MilliSeconds(40)));
        Config::SetDefault("ns3::TcpSocket::InitialCwnd", UintegerValue(10));
        Config::SetDefault("ns3::TcpSocketBase::Sack", BooleanValue(true));
        Config::SetDefault("ns3::TcpSocket::RcvBufSize", UintegerValue(131072));
        Config::SetDefault("ns3::TcpSocket::SndBufSize", UintegerValue(131072));
    }

    NodeContainer nodes;
    nodes.Create(2); // 0: client, 1: server

    PointToPointHelper p2p;
    p2p.SetDeviceAttribute("DataRate", StringValue("1Gbps"));
    p2p.SetChannelAttribute("Delay", StringValue("10ms"));
    NetDeviceContainer devices = p2p.Install(nodes);

    // Loss on client->server only: the server's device drops what it receives.
    Ptr<RateErrorModel> em = CreateObject<RateErrorModel>();
    em->SetAttribute("ErrorRate", DoubleValue(loss));
    em->SetAttribute("ErrorUnit", EnumValue(RateErrorModel::ERROR_UNIT_PACKET));
    devices.Get(1)->SetAttribute("ReceiveErrorModel", PointerValue(em));

    InternetStackHelper stack;
    stack.Install(nodes);
    Ipv4AddressHelper address;
    address.SetBase("10.0.0.0", "255.255.255.252");
    Ipv4InterfaceContainer ifaces = address.Assign(devices);

    const uint16_t port = 80;
    BulkSendHelper bulk("ns3::TcpSocketFactory", InetSocketAddress(ifaces.GetAddress(1), port));
    bulk.SetAttribute("MaxBytes", UintegerValue(bytes));
    // Whole segments per write: with TcpNoDelay (the default) a write that is
    // not a multiple of the segment size leaves a runt segment behind.
    bulk.SetAttribute("SendSize", UintegerValue(segmentSize));
    ApplicationContainer client = bulk.Install(nodes.Get(0));
    client.Start(Seconds(0.0));

    PacketSinkHelper sinkHelper("ns3::TcpSocketFactory",
                                InetSocketAddress(Ipv4Address::GetAny(), port));
    ApplicationContainer server = sinkHelper.Install(nodes.Get(1));
    server.Start(Seconds(0.0));

    for (uint32_t i = 0; i < devices.GetN(); ++i)
    {
        devices.Get(i)->TraceConnectWithoutContext("PhyTxBegin",
                                                   MakeBoundCallback(&OnPhyTxBegin, i));
        devices.Get(i)->TraceConnectWithoutContext("PhyRxDrop", MakeCallback(&OnPhyRxDrop));
    }
    server.Get(0)->TraceConnectWithoutContext("Rx", MakeCallback(&OnSinkRx));

    const auto start = std::chrono::steady_clock::now();
    Simulator::Run();
    const auto end = std::chrono::steady_clock::now();
    const double wall = std::chrono::duration<double>(end - start).count();

    Ptr<PacketSink> sink = DynamicCast<PacketSink>(server.Get(0));
    const uint64_t received = sink ? sink->GetTotalRx() : 0;
    const double sim_end = Simulator::Now().GetSeconds();
    Simulator::Destroy();
    const uint64_t total = g_segments[0] + g_segments[1];

    std::cout << "profile=" << profile << "\n"
              << "bytes_received=" << received << "\n"
              << "segments=" << total << "\n"
              << "segments_client_to_server=" << g_segments[0] << "\n"
              << "segments_server_to_client=" << g_segments[1] << "\n"
              << "dropped=" << g_dropped << "\n"
              << "sink_rx_calls=" << g_payload_segments << "\n"
              << "transfer_done_s=" << g_last_rx_s << "\n"
              << "sim_end_s=" << sim_end << "\n"
              << "wall_s=" << wall << "\n"
              << "seg_per_s=" << (wall > 0 ? static_cast<double>(total) / wall : 0) << "\n";
    return received == bytes ? 0 : 1;
}
