import CoreMetrics
public import Hummingbird
import HummingbirdTLS
public import KeyportFederation
import KeyportServices
import KeyportStore
import KeyportStorePostgres
import KeyportStoreSQLite
public import Logging
import MatrixModel
import NIOSSL
import Prometheus
import ServiceLifecycle

/// The composition root: builds the store, the services, federation, the routes and the HTTP
/// application.
public enum KeyportApplication {
    /// Builds the application for a configuration. Engines and services are chosen here and
    /// injected; nothing below this function reads the configuration. The first listener is the
    /// application; every other listener and the federation background work run as its services.
    /// `resolver` replaces server discovery (DNS and `.well-known`), for tests on loopback.
    public static func build(
        config: KeyportConfig, logger: Logger, resolver: ServerResolver? = nil
    ) throws -> Application<KeyportResponder> {
        let signingKey = try SigningKeyLoader.loadOrGenerate(path: config.signingKeyPath)
        // Metrics are collected only when some listener serves them.
        let registry = config.listeners.contains(where: \.servesMetrics) ? PrometheusCollectorRegistry() : nil
        let metricsFactory: any MetricsFactory =
            registry.map { PrometheusMetricsFactory(registry: $0) } ?? NOOPMetricsHandler.instance
        let observer = registry == nil ? TransactionObserver.none : DatabaseMetrics(factory: metricsFactory).observer
        let storage: any KeyportStorage
        let bus: any ChangeBus
        var background: [any Service] = []
        switch config.database {
        case .sqlite(let path):
            storage = try SQLiteStore(path: path, observer: observer)
            bus = SingleProcessChangeBus()
        case .postgres(let settings):
            let store = PostgresStore(settings: settings.storeSettings, logger: logger, observer: observer)
            storage = store
            bus = store.changeBus
            background.append(PostgresLifecycle(store: store, logger: logger))
        }
        let identity = ServerIdentity(serverName: config.serverName, signingKey: signingKey)
        let clock = ServerClock.system
        let notifier = SyncNotifier()
        let outbound = OutboundSignal()
        let appServiceSignal = OutboundSignal()
        let notifications = ChangeNotifications(
            store: storage, notifier: notifier, outbound: outbound, bus: bus, appServices: appServiceSignal)
        if case .postgres = config.database { background.append(ChangeBusListener(notifications: notifications)) }
        let leases = SenderLeases(instanceName: config.instanceName, duration: config.senderLeaseDuration)

        let settings = FederationClientSettings(
            verifyCertificates: config.federationVerifyCertificates, customCAFiles: config.federationCustomCAList,
            blacklist: try IPRangeSet(config.ipRangeBlacklist), whitelist: try IPRangeSet(config.ipRangeWhitelist))
        // One set of checked connections for federation requests and `.well-known` discovery.
        let connections = FederationConnections(settings: settings)
        let resolver =
            resolver
            ?? ServerResolver(srv: DNSClient.system(), wellKnown: HTTPWellKnownFetcher(connections: connections))
        let client = FederationClient(identity: identity, resolver: resolver, connections: connections, logger: logger)
        let federationMetrics = FederationMetrics(factory: metricsFactory)
        let deviceLists = RemoteDeviceListService(
            store: storage, client: client, identity: identity, notifications: notifications, logger: logger,
            metrics: federationMetrics, leases: leases, clock: clock)
        let keyRing = ServerKeyRing(store: storage, clock: clock, logger: logger) { server in
            try await client.request(
                server, method: "GET", path: "/_matrix/key/v2/server", timeout: .seconds(10),
                maxResponseBytes: FederationResponseLimit.serverKeys)
        }
        let inboundPDUs = InboundPDUService(
            store: storage, identity: identity, rooms: RoomFederationClient(client: client), keys: keyRing,
            notifications: notifications, logger: logger)
        // Application services are asked for their users' keys only when an experimental
        // feature says so, as in Synapse; their client is closed with the federation client.
        let appServiceRegistry = ApplicationServiceRegistry(config.applicationServices)
        let asksAppServices = config.msc3983AppServiceOTKClaims || config.msc3984AppServiceKeyQuery
        let appServiceClient =
            appServiceRegistry.isEmpty ? nil : AppServiceClient(serverName: config.serverName, logger: logger)
        let appServiceKeys = appServiceClient.flatMap { client in
            asksAppServices
                ? AppServiceKeyDelegation(
                    registry: appServiceRegistry, claims: config.msc3983AppServiceOTKClaims,
                    queries: config.msc3984AppServiceKeyQuery, client: client) : nil
        }
        let services = Services(
            storage: storage, identity: identity,
            policy: RegistrationPolicy(
                enabled: config.enableRegistration && config.enableRegistrationWithoutVerification,
                sharedSecret: config.registrationSharedSecret,
                applicationServices: appServiceRegistry),
            hasher: PasswordHasher(rounds: config.passwordRounds), clock: clock, notifier: notifier, outbound: outbound,
            bus: bus,
            remoteKeys: RemoteKeyDirectory(store: storage, client: client, deviceLists: deviceLists),
            remoteProfiles: RemoteProfileDirectory(client: client),
            remoteRooms: RemoteMembershipService(
                store: storage, identity: identity, rooms: RoomFederationClient(client: client), pdus: inboundPDUs,
                clock: clock),
            failedPasswordAttempts: config.failedLoginRateLimit, metrics: ServiceMetrics(factory: metricsFactory),
            appServiceKeys: appServiceKeys, appServiceSignal: appServiceSignal)
        background.append(
            LegacyRoomUpgradeService(
                upgrade: LegacyRoomUpgrade(store: storage, identity: identity, logger: logger), logger: logger))
        // Transactions go to the services that have a `url`, with what the experimental features allow.
        let appServiceSender = appServiceClient.flatMap { client in
            appServiceRegistry.services.contains { $0.url != nil }
                ? AppServiceSender(
                    services: appServiceRegistry.services, store: storage, transport: client,
                    builder: AppServiceTransactionBuilder(
                        store: storage, identity: identity, toDeviceEnabled: config.msc2409ToDeviceMessagesEnabled,
                        deviceDataEnabled: config.msc3202TransactionExtensions),
                    signal: appServiceSignal, schedule: config.appServiceRetry, clock: clock, logger: logger,
                    leases: leases) : nil
        }
        let sender = FederationSender(
            store: storage, client: client, identity: identity, keys: services.keys, signal: outbound,
            schedule: config.federationRetry, clock: clock, logger: logger, metrics: federationMetrics, leases: leases)

        // A join or leave another server made through this one goes on to the room's other servers.
        let rooms = services.rooms
        let forward: @Sendable (String, String, String) async -> Void = { eventID, roomID, origin in
            do {
                try await rooms.forwardToOtherServers(eventID: eventID, roomID: roomID, except: origin)
            } catch {
                logger.error("cannot queue a hosted membership event", metadata: ["error": "\(error)"])
            }
        }
        var router = buildRouter(services: services, config: config)
        ServerKeyRoutes(
            identity: identity, oldKeys: config.oldSigningKeys, refreshInterval: config.keyRefreshInterval, clock: clock
        ).register(into: &router)
        FederationRoutes(
            queries: FederationQueryService(store: storage, identity: identity, keys: services.keys),
            transactions: TransactionService(
                store: storage, identity: identity, deviceLists: deviceLists, notifications: notifications,
                clock: clock, logger: logger, pdus: inboundPDUs),
            profiles: services.profiles,
            joins: JoinHostingService(
                store: storage, identity: identity, pdus: inboundPDUs, clock: clock, announce: forward),
            invites: InviteService(store: storage, identity: identity, pdus: inboundPDUs, clock: clock),
            leaves: LeaveHostingService(
                store: storage, identity: identity, pdus: inboundPDUs, clock: clock, announce: forward),
            claimLimiter: RateLimiter(limit: config.federationKeyClaimRateLimit)
        ).register(into: &router)
        FederationRoomRoutes(
            rooms: RoomEventQueryService(store: storage, identity: identity), identity: identity, clock: clock
        ).register(into: &router)
        AdminFederationRoutes(admin: services.admin, sender: sender).register(into: &router)
        AppServiceRoutes(ping: AppServicePing(client: appServiceClient)).register(into: &router)
        var responder = KeyportResponder(
            router: router, accounts: services.accounts, maxRequestSize: config.maxRequestSize, logger: logger,
            federation: FederationAuthenticator(identity: identity, keys: keyRing),
            originSeen: { origin in
                await sender.destinationIsUp(origin)
                await deviceLists.serverIsUp(origin)
            })

        responder.metrics = HTTPMetrics(factory: registry == nil ? nil : metricsFactory)
        responder.healthCheck = { [storage] in (try? await storage.checkReachable()) != nil }
        responder.appServices = appServiceRegistry
        let queues = QueueGauges(store: storage, factory: metricsFactory)
        let metricsEndpoint = registry.map { MetricsEndpoint(registry: $0, refresh: { await queues.refresh() }) }

        var endpoints: [(KeyportConfig.Listener, String)] = []
        for listener in config.listeners {
            for address in listener.bindAddresses { endpoints.append((listener, address)) }
        }
        let tls = try tlsConfiguration(config)
        background.append(
            FederationBackground(
                sender: sender, deviceLists: deviceLists, client: client, appServiceClient: appServiceClient,
                appServiceSender: appServiceSender))
        for (listener, address) in endpoints.dropFirst() {
            background.append(
                try application(
                    responder, listener, address, tls: tls, metrics: metricsEndpoint, logger: logger, services: []))
        }
        let (first, address) = endpoints[0]
        return try application(
            responder, first, address, tls: tls, metrics: metricsEndpoint, logger: logger, services: background)
    }

    private static func application(
        _ responder: KeyportResponder, _ listener: KeyportConfig.Listener, _ address: String,
        tls: TLSConfiguration?, metrics: MetricsEndpoint?, logger: Logger, services: [any Service]
    ) throws -> Application<KeyportResponder> {
        var responder = responder
        responder.trustsForwardedFor = listener.xForwarded
        responder.servesMatrix = listener.servesMatrix
        responder.metricsEndpoint = listener.servesMetrics ? metrics : nil
        let configuration = ApplicationConfiguration(address: .hostname(address, port: listener.port), serverName: nil)
        if listener.tls, let tls {
            return Application(
                responder: responder, server: try .tls(.http1(), tlsConfiguration: tls), configuration: configuration,
                services: services, logger: logger)
        }
        return Application(responder: responder, configuration: configuration, services: services, logger: logger)
    }

    /// The server-side TLS settings when some listener has `tls: true`.
    private static func tlsConfiguration(_ config: KeyportConfig) throws -> TLSConfiguration? {
        guard config.listeners.contains(where: \.tls), let certificatePath = config.tlsCertificatePath,
            let keyPath = config.tlsPrivateKeyPath
        else { return nil }
        do {
            let chain = try NIOSSLCertificate.fromPEMFile(certificatePath).map {
                NIOSSLCertificateSource.certificate($0)
            }
            let key = try NIOSSLPrivateKey(file: keyPath, format: .pem)
            return TLSConfiguration.makeServerConfiguration(certificateChain: chain, privateKey: .privateKey(key))
        } catch {
            throw ConfigError("cannot load the TLS certificate or key: \(error)")
        }
    }

    /// Every client route group, registered into one table.
    static func buildRouter(services: Services, config: KeyportConfig) -> MatrixRouter {
        var router = MatrixRouter()
        VersionRoutes(msc3814: config.msc3814Enabled).register(into: &router)
        AccountRoutes(
            services: services, loginLimiter: RateLimiter(limit: config.loginRateLimit),
            registrationLimiter: RateLimiter(limit: config.registrationRateLimit)
        ).register(into: &router)
        AdminRegisterRoutes(services: services).register(into: &router)
        AdminRoutes(services: services).register(into: &router)
        DeviceRoutes(services: services).register(into: &router)
        if config.msc3814Enabled { DehydratedDeviceRoutes(services: services).register(into: &router) }
        KeyRoutes(services: services, claimLimiter: RateLimiter(limit: config.keyClaimRateLimit)).register(
            into: &router)
        CrossSigningRoutes(services: services).register(into: &router)
        KeyBackupRoutes(services: services).register(into: &router)
        ToDeviceRoutes(services: services).register(into: &router)
        SyncRoutes(services: services).register(into: &router)
        RoomRoutes(services: services).register(into: &router)
        AccountDataRoutes(services: services).register(into: &router)
        ProfileRoutes(services: services).register(into: &router)
        CapabilitiesRoutes().register(into: &router)
        return router
    }
}

/// The outbound work that runs beside the listeners: the federation sender, the retry loop of
/// stale remote device lists and the application-service sender. Stops at graceful shutdown, gives
/// up its leases and closes outbound connections.
struct FederationBackground: Service {
    let sender: FederationSender
    let deviceLists: RemoteDeviceListService
    let client: FederationClient
    let appServiceClient: AppServiceClient?
    let appServiceSender: AppServiceSender?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await withDiscardingTaskGroup { group in
                group.addTask { await sender.run() }
                group.addTask { await deviceLists.runRetryLoop() }
                if let appServiceSender { group.addTask { await appServiceSender.run() } }
            }
        }
        // In a task of its own, so a cancellation of this service (a shutdown that ran out of
        // time) cannot stop the release half-way; the store is still open (it shuts last). A lease
        // not released keeps the destination from the next process until it expires.
        await Task {
            await sender.releaseLeases()
            await deviceLists.releaseLeases()
            await appServiceSender?.releaseLeases()
        }.value
        await client.shutdown()
        await appServiceClient?.shutdown()
    }
}

/// Hears the other processes' announcements on the change bus and wakes this process's waiting
/// `/sync` requests and federation sender.
struct ChangeBusListener: Service {
    let notifications: ChangeNotifications

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await notifications.bus.subscribe { event in await notifications.heard(event) }
        }
    }
}

/// Migrates the PostgreSQL schema when the server starts (a database that cannot be reached stops
/// the start with the error) and closes the pool at graceful shutdown.
/// Rebuilds rooms stored before rooms were made of PDUs, once, at start-up. A room that cannot be
/// rebuilt stops the server with the reason rather than being served half-converted.
struct LegacyRoomUpgradeService: Service {
    let upgrade: LegacyRoomUpgrade
    let logger: Logger

    func run() async throws {
        do {
            try await upgrade.run()
        } catch {
            logger.critical(
                "cannot rebuild a room stored before rooms were made of PDUs", metadata: ["error": "\(error)"])
            throw error
        }
        try? await gracefulShutdown()
    }
}

struct PostgresLifecycle: Service {
    let store: PostgresStore
    let logger: Logger

    func run() async throws {
        do {
            try await store.prepare()
        } catch {
            logger.critical("cannot open the PostgreSQL database", metadata: ["error": "\(error)"])
            throw error
        }
        try? await gracefulShutdown()
        await store.shutdown()
    }
}
